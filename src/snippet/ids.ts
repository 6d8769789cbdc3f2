/** A visitor or session id: 32 hex digits from `crypto.getRandomValues` (Math.random only where it is missing). */
export function newId(): string {
  const bytes = new Uint8Array(16);
  const crypto = window.crypto;
  if (crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
  else for (let i = 0; i < 16; i++) bytes[i] = Math.random() * 256;
  let id = '';
  for (let i = 0; i < 16; i++) id += (bytes[i] + 256).toString(16).slice(1);
  return id;
}
