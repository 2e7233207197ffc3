// The parts of the `radius` library (1.1.4, no types of its own) that codec.ts uses.
declare module 'radius' {
  interface Radius {
    add_dictionary(file: string): void;
    load_dictionaries(): void;
    vendor_name_to_id(name: string): string | undefined;
    attr_name_to_id(name: string, vendor?: number): string | undefined;
    encode(args: {
      code: string;
      secret: string;
      identifier: number;
      attributes: unknown[];
      add_message_authenticator: boolean;
    }): Buffer;
  }
  const radius: Radius;
  export default radius;
}
