// The part of the `radius` npm package (1.1.4, CommonJS, untyped) that radtrack uses. Values it decodes
// are typed `unknown` on purpose: see radius-lib.ts. Use it only as `import radius from 'radius'` and
// never detach its methods (they rely on `this`; docs/stack-notes.md §2).
declare module 'radius' {
  interface DecodedPacket {
    code: string;
    identifier: number;
    length: number;
    authenticator: Buffer;
    attributes: Record<string, unknown>;
    raw_attributes: Array<[number, Buffer]>;
  }

  interface Radius {
    decode(args: { packet: Buffer; secret: string | Buffer }): DecodedPacket;
    decode_without_secret(args: { packet: Buffer }): DecodedPacket;
    encode_response(args: { packet: DecodedPacket; code: string; secret: string | Buffer }): Buffer;
    verify_response(args: { request: Buffer; response: Buffer; secret: string | Buffer }): boolean;
    load_dictionaries(): void;
    attr_id_to_name(type: number): string | undefined;
    InvalidSecretError: new (message?: string) => Error;
  }

  const radius: Radius;
  export default radius;
}
