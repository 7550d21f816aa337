/** Reading a policy's config with its schema defaults applied (the SDK applies them too). */
export function configNumber(config: Record<string, unknown> | undefined, key: string, fallback: number): number {
  const value = config?.[key];
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}
