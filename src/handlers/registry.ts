import type { HandlerDescriptor } from './handler.js';
import { counterHandler } from './counter.js';

const handlers: HandlerDescriptor[] = [
  counterHandler,
];

/** Every handler wt1 ships. Adding one: a file in this folder and one entry above. */
export const HANDLERS: readonly HandlerDescriptor[] = handlers;

export function findHandler(nameOrClass: string): HandlerDescriptor | undefined {
  return HANDLERS.find((h) => h.name === nameOrClass || h.wt1ClassNames.includes(nameOrClass));
}

/**
 * Adds a handler from outside this folder, for a program that embeds wt1 (see docs/handlers.md).
 * Call it before loading the configuration. A name or class name already taken is refused.
 */
export function registerHandler(descriptor: HandlerDescriptor): void {
  for (const name of [descriptor.name, ...descriptor.wt1ClassNames]) {
    if (findHandler(name)) throw new Error(`a handler named ${JSON.stringify(name)} is already registered`);
  }
  handlers.push(descriptor);
}
