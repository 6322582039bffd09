/** The types of `src/random`, in their own module so samplers (e.g. `poisson.ts`) need not import the index. */

/** A seed: any string or integer. Strings are used verbatim, numbers via their decimal text. */
export type Seed = string | number;

/** One path segment used to derive a sub-stream (e.g. `"aggregate"`, `17`). */
export type PathSegment = string | number;

/** A source of uniform random numbers (what samplers need; see {@link RandomStream}). */
export interface UniformSource {
  /** Uniform double in (0, 1) (53 bits of resolution for streams, 52 for {@link fastUniforms}). */
  double(): number;
  /** Uniform unsigned 32-bit integer. */
  uint32(): number;
}

/** A seeded uniform random number generator with a derivable identity. */
export interface RandomStream extends UniformSource {
  /** The hashed seed this stream was built from; derived streams hash this plus their path. */
  readonly key: string;
}
