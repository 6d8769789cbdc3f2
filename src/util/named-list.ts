/** A plugin known by its name and by the class names of the original WT1 that map to it. */
export interface Named {
  readonly name: string;
  readonly wt1ClassNames: readonly string[];
}

/** The plugin of `list` named `nameOrClass` (its wt1 name or a WT1 class name). */
export function findNamed<T extends Named>(list: readonly T[], nameOrClass: string): T | undefined {
  return list.find((p) => p.name === nameOrClass || p.wt1ClassNames.includes(nameOrClass));
}

/**
 * `list` plus `extra`, as a new frozen list (the registries stay as they are); a name or class
 * name already taken is refused: `${what} named "x" is already registered`.
 */
export function extendNamed<T extends Named>(list: readonly T[], extra: readonly T[], what: string): readonly T[] {
  const out: T[] = [...list];
  for (const plugin of extra) {
    for (const name of [plugin.name, ...plugin.wt1ClassNames]) {
      if (findNamed(out, name)) throw new Error(`${what} named ${JSON.stringify(name)} is already registered`);
    }
    out.push(plugin);
  }
  return Object.freeze(out);
}
