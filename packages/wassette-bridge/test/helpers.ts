import { WassetteClient } from '../src/index.js';

export { allFixtures, fixtureBytes, fixturePath, watToWasm } from '../../../tools/fixtures.ts';

export const client = new WassetteClient();

/** A core module header followed by `sections` (raw bytes), for hand-assembled cases. */
export function module(...sections: number[][]): Uint8Array {
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...sections.flat()]);
}

/** A section with its id and a one-byte size (payloads in tests are small). */
export function section(id: number, payload: number[]): number[] {
  if (payload.length > 127) throw new Error('test sections must stay under 128 bytes');
  return [id, payload.length, ...payload];
}
