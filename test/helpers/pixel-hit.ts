import assert from 'node:assert/strict';

/** One pixel GET with this query string; asserts the 200 and reads the GIF. */
export async function pixelHit(url: string, query: string): Promise<void> {
  const res = await fetch(`${url}/public/p.gif?${query}`);
  assert.equal(res.status, 200);
  await res.arrayBuffer();
}
