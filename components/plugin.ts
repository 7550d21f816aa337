/**
 * The components the Pulumi component plugin serves to Python, Go, .NET, Java and YAML programs
 * (Pulumi's `componentProviderHost` infers their schema from this repository's TypeScript source).
 * Only components whose `Args` and public properties fit the inference are listed; the others and
 * why they do not fit are in docs/LANGUAGES.md. Not part of the npm package's API.
 */
import { GuestContentStore } from "./GuestContentStore";

/** The component classes the plugin serves, each with an `Args` interface of the same name plus `Args`. */
export const PLUGIN_COMPONENTS = [GuestContentStore] as const;
