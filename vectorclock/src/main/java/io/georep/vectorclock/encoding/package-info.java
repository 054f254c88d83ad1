/**
 * The compact, deterministic binary encoding shared by georep's value types.
 *
 * <p>Integers are unsigned LEB128 variable-length integers (7 bits a byte, low bits first); signed
 * values use zig-zag. Strings are a length followed by UTF-8 bytes. Every variable-length form has
 * exactly one valid encoding: readers reject over-long integers, non-shortest UTF-8 and trailing
 * bytes, so {@code encode(decode(bytes))} reproduces {@code bytes} exactly and equal values always
 * have equal bytes.
 *
 * <p>Readers never trust a length or count: each is checked against the bytes that remain before
 * anything is allocated, so decoding garbage fails fast with {@link
 * io.georep.vectorclock.encoding.MalformedEncodingException} and allocates at most in proportion to
 * its input.
 */
package io.georep.vectorclock.encoding;
