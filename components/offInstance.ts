/**
 * Values a component keeps off its instance and shows through getters. Pulumi's schema inference
 * for the component plugin (docs/LANGUAGES.md) takes every instance property of a component class
 * as an output of the schema, and needs a schema type for each; it skips getters. So what only
 * TypeScript programs can use (plans, child components, promises, maps) lives here, and the
 * component's getters read it: TypeScript programs see the same public members as before.
 */
export class OffInstance<C extends object, S> {
  readonly #values = new WeakMap<C, S>();

  /** Records the values of one component (in its constructor). */
  set(component: C, values: S): S {
    this.#values.set(component, values);
    return values;
  }

  /** The values of one component. */
  of(component: C): S {
    const values = this.#values.get(component);
    if (values === undefined) throw new Error("component used before its constructor finished");
    return values;
  }
}
