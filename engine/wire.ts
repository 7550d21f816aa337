/**
 * Protocol Buffers wire encoding of `google.protobuf.Struct`, and of a message field that carries
 * already-encoded bytes: what the analyzer client needs to send a resource's properties once
 * encoded, to both `Analyze` and `AnalyzeStack`, without building google-protobuf objects.
 *
 * Why: at fleet scale (5,000 resources), `Struct.fromJavaScript` + `serializeBinary` built millions
 * of short-lived objects on the thread that also runs the Pulumi program, and the cached Structs
 * kept them alive until `AnalyzeStack`. The bytes here are what the stubs would send; tests decode
 * them with the stubs (`Struct.deserializeBinary`) and compare, for generated values.
 *
 * Wire format (https://protobuf.dev/programming-guides/encoding/):
 *   Struct    { map<string, Value> fields = 1; }   a map entry is { string key = 1; Value value = 2; }
 *   Value     { oneof kind { NullValue null_value = 1; double number_value = 2; string string_value = 3;
 *                            bool bool_value = 4; Struct struct_value = 5; ListValue list_value = 6; } }
 *   ListValue { repeated Value values = 1; }
 */

/** Wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;

const tag = (field: number, wireType: number) => (field << 3) | wireType;

const STRUCT_FIELDS = tag(1, LEN);
const ENTRY_KEY = tag(1, LEN);
const ENTRY_VALUE = tag(2, LEN);
const LIST_VALUES = tag(1, LEN);
const VALUE_NULL = tag(1, VARINT);
const VALUE_NUMBER = tag(2, FIXED64);
const VALUE_STRING = tag(3, LEN);
const VALUE_BOOL = tag(4, VARINT);
const VALUE_STRUCT = tag(5, LEN);
const VALUE_LIST = tag(6, LEN);

/** Bytes a non-negative 32-bit varint takes. */
function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** A length-delimited field's size: tag, length, content. */
const delimited = (contentSize: number) => 1 + varintSize(contentSize) + contentSize;

/** A value the Struct encoding cannot carry, named by where it sits. */
export class WireEncodingError extends Error {}

/**
 * Encodes in two passes over the value: the first records, in visiting order, the size of every
 * length-delimited part (nested messages and strings); the second writes, reading them back in the
 * same order.
 */
class StructEncoder {
  private sizes: number[] = [];
  private next = 0;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  encode(obj: Record<string, unknown>): Uint8Array {
    this.sizes = [];
    const size = this.sizeStruct(obj, "");
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
    this.next = 0;
    this.writeStruct(obj);
    if (this.pos !== size) throw new Error(`internal: Struct encoding wrote ${this.pos} of ${size} bytes`);
    const out = this.buf;
    this.buf = Buffer.alloc(0);
    this.sizes = [];
    return out;
  }

  // ---- pass 1: sizes

  private sizeStruct(obj: Record<string, unknown>, path: string): number {
    let total = 0;
    for (const key of Object.keys(obj)) {
      const value = obj[key];
      if (value === undefined) continue; // dropped, as the Pulumi SDK's serializer does
      const slot = this.sizes.length;
      this.sizes.push(0, 0); // entry size, key size
      const keySize = Buffer.byteLength(key, "utf8");
      this.sizes[slot + 1] = keySize;
      const entry = delimited(keySize) + delimited(this.sizeValue(value, path ? `${path}.${key}` : key));
      this.sizes[slot] = entry;
      total += delimited(entry);
    }
    return total;
  }

  /** Size of a Value message's content; records nested sizes, the Value's own first. */
  private sizeValue(value: unknown, path: string): number {
    const slot = this.sizes.length;
    this.sizes.push(0);
    let size: number;
    if (value === null || value === undefined) size = 2;
    else if (typeof value === "number") size = 9;
    else if (typeof value === "boolean") size = 2;
    else if (typeof value === "string") {
      const n = Buffer.byteLength(value, "utf8");
      this.sizes.push(n);
      size = delimited(n);
    } else if (typeof value === "object") {
      const innerSlot = this.sizes.length;
      this.sizes.push(0);
      const inner = Array.isArray(value) ? this.sizeList(value, path) : this.sizeStruct(value as Record<string, unknown>, path);
      this.sizes[innerSlot] = inner;
      size = delimited(inner);
    } else {
      throw new WireEncodingError(`${path || "value"}: a ${typeof value} cannot be sent as a protobuf Struct value`);
    }
    this.sizes[slot] = size;
    return size;
  }

  private sizeList(list: readonly unknown[], path: string): number {
    let total = 0;
    for (let i = 0; i < list.length; i++) total += delimited(this.sizeValue(list[i], `${path}[${i}]`));
    return total;
  }

  // ---- pass 2: bytes

  private byte(b: number): void {
    this.buf[this.pos++] = b;
  }

  private varint(n: number): void {
    while (n > 0x7f) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }

  private string(s: string, bytes: number): void {
    this.varint(bytes);
    this.pos += this.buf.write(s, this.pos, bytes, "utf8");
  }

  private writeStruct(obj: Record<string, unknown>): void {
    for (const key of Object.keys(obj)) {
      const value = obj[key];
      if (value === undefined) continue;
      const entry = this.sizes[this.next++];
      const keySize = this.sizes[this.next++];
      this.byte(STRUCT_FIELDS);
      this.varint(entry);
      this.byte(ENTRY_KEY);
      this.string(key, keySize);
      this.byte(ENTRY_VALUE);
      this.writeValue(value);
    }
  }

  /** Writes length and content of a Value message. */
  private writeValue(value: unknown): void {
    this.varint(this.sizes[this.next++]);
    if (value === null || value === undefined) {
      this.byte(VALUE_NULL);
      this.byte(0);
    } else if (typeof value === "number") {
      this.byte(VALUE_NUMBER);
      this.buf.writeDoubleLE(value, this.pos);
      this.pos += 8;
    } else if (typeof value === "boolean") {
      this.byte(VALUE_BOOL);
      this.byte(value ? 1 : 0);
    } else if (typeof value === "string") {
      this.byte(VALUE_STRING);
      this.string(value, this.sizes[this.next++]);
    } else if (Array.isArray(value)) {
      this.byte(VALUE_LIST);
      this.varint(this.sizes[this.next++]);
      for (const item of value) {
        this.byte(LIST_VALUES);
        this.writeValue(item);
      }
    } else {
      this.byte(VALUE_STRUCT);
      this.varint(this.sizes[this.next++]);
      this.writeStruct(value as Record<string, unknown>);
    }
  }
}

const encoder = new StructEncoder();

/**
 * `google.protobuf.Struct` bytes of a JSON-like object. `undefined` members are left out and
 * `undefined` array items become `null` (as the Pulumi SDK serializes them); any other object is a
 * Struct of its own enumerable keys, as with `Struct.fromJavaScript`. Functions, bigints and
 * symbols are rejected with their path.
 */
export function encodeStruct(obj: Record<string, unknown>): Uint8Array {
  return encoder.encode(obj);
}

/** Tag and length of a length-delimited field `field` whose content is `length` bytes long. */
export function fieldHeader(field: number, length: number): Buffer {
  const head = Buffer.allocUnsafe(10);
  let pos = 0;
  for (let n = tag(field, LEN); ; n >>>= 7) {
    if (n <= 0x7f) {
      head[pos++] = n;
      break;
    }
    head[pos++] = (n & 0x7f) | 0x80;
  }
  for (let n = length; ; n >>>= 7) {
    if (n <= 0x7f) {
      head[pos++] = n;
      break;
    }
    head[pos++] = (n & 0x7f) | 0x80;
  }
  return head.subarray(0, pos);
}
