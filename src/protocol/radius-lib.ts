import radius from 'radius';

// The one place production code calls the `radius` package. Its decode throws on junk and returns
// untyped values (docs/stack-notes.md §5), so both calls are fenced and return `unknown` data.

export function libDecodeAttributes(bytes: Buffer): Record<string, unknown> | undefined {
  try {
    return radius.decode_without_secret({ packet: bytes }).attributes;
  } catch {
    return undefined;
  }
}

export function libAttributeName(type: number): string | undefined {
  try {
    radius.load_dictionaries();
    const name: unknown = radius.attr_id_to_name(type);
    return typeof name === 'string' ? name : undefined;
  } catch {
    return undefined;
  }
}
