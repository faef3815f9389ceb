/** Fills buffers with random bytes: the platform CSPRNG, or a seeded generator in deterministic mode. */
export interface RandomSource {
  fill(into: Uint8Array): void;
}

export const cryptoRandom: RandomSource = {
  fill(into) {
    // getRandomValues refuses more than 65536 bytes per call.
    for (let i = 0; i < into.length; i += 65536)
      crypto.getRandomValues(into.subarray(i, Math.min(into.length, i + 65536)) as Uint8Array<ArrayBuffer>);
  },
};

/**
 * xoshiro128** seeded through splitmix32: fast, well distributed, and the same bytes for the same
 * seed on every platform. Not cryptographic, which is the point of a replayable run.
 */
export class SeededRandom implements RandomSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number | bigint) {
    let x = Number(BigInt.asUintN(32, BigInt(seed)) ^ BigInt.asUintN(32, BigInt(seed) >> 32n)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  private nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  fill(into: Uint8Array): void {
    let i = 0;
    for (; i + 4 <= into.length; i += 4) {
      const v = this.nextU32();
      into[i] = v & 0xff;
      into[i + 1] = (v >>> 8) & 0xff;
      into[i + 2] = (v >>> 16) & 0xff;
      into[i + 3] = v >>> 24;
    }
    if (i < into.length) {
      let v = this.nextU32();
      for (; i < into.length; i++, v >>>= 8) into[i] = v & 0xff;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
