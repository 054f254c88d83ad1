package io.georep.replicator.codec.internal;

import java.util.Arrays;
import java.util.List;

/**
 * A section's row shapes (docs/wire-format.md, "Shapes"): the distinct combinations of change kind
 * and cell states, then each row's shape index, bit-packed.
 *
 * <p>A shape is held as {@code byte[1 + keyCount + columnCount]}: the kind code, the states of the
 * key cells (0 for an insert, whose key is among its values), then the states of the value cells in
 * table order. On the wire a shape is its kind, then run-length encoded states of the cells it has:
 * key cells only for an update or delete.
 */
final class RowShapes {
  private static final int KIND_INSERT = 0;
  private static final int KIND_DELETE = 2;

  /** The decoded shapes of a section and the shape index of every row. */
  static final class Decoded {
    /** The shapes, each {@code byte[1 + keyCount + columnCount]}. */
    final byte[][] shapes;

    /** One index into {@link #shapes} per row. */
    final int[] rowShapes;

    Decoded(byte[][] shapes, int[] rowShapes) {
      this.shapes = shapes;
      this.rowShapes = rowShapes;
    }
  }

  private RowShapes() {}

  /** Where the value cells' states start in a shape. */
  static int cellsOffset(int keyCount) {
    return 1 + keyCount;
  }

  /** The bits of one row's shape index when a section has {@code shapeCount} shapes. */
  static int indexWidth(int shapeCount) {
    return shapeCount <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(shapeCount - 1);
  }

  /** Writes the shapes, then the rows' shape indexes. */
  static void write(List<byte[]> shapes, int keyCount, int[] rowShapes, VectorWriter out) {
    out.writeUnsigned(shapes.size());
    for (byte[] shape : shapes) {
      out.writeUnsigned(shape[0]);
      int state = -1;
      int run = 0;
      for (int i = shape[0] == KIND_INSERT ? cellsOffset(keyCount) : 1; i < shape.length; i++) {
        if (shape[i] != state && run > 0) {
          out.writeUnsigned((long) run << CellState.BITS | state);
          run = 0;
        }
        state = shape[i];
        run++;
      }
      if (run > 0) {
        out.writeUnsigned((long) run << CellState.BITS | state);
      }
    }
    out.writePacked(rowShapes, rowShapes.length, indexWidth(shapes.size()));
  }

  /**
   * Reads what {@link #write} wrote, checking every kind, state and run, and every count against
   * the remaining bytes before allocating for it.
   */
  static Decoded read(VectorReader in, int rowCount, int keyCount, int columnCount) {
    int shapeCount = in.readCount(1, "shape count");
    if (rowCount > 0 ? shapeCount < 1 || shapeCount > rowCount : shapeCount != 0) {
      throw in.malformed(shapeCount + " shapes for " + rowCount + " rows");
    }
    int offset = cellsOffset(keyCount);
    byte[][] shapes = new byte[shapeCount][];
    for (int s = 0; s < shapeCount; s++) {
      byte[] shape = new byte[offset + columnCount];
      int kind = (int) in.readUnsigned(KIND_DELETE, "change kind");
      shape[0] = (byte) kind;
      for (int i = kind == KIND_INSERT ? offset : 1; i < shape.length; ) {
        long word = in.readUnsigned();
        int state = (int) (word & ((1 << CellState.BITS) - 1));
        long run = word >>> CellState.BITS;
        if (state >= CellState.COUNT || run < 1 || run > shape.length - i) {
          throw in.malformed(
              "invalid state run "
                  + run
                  + " of state "
                  + state
                  + " with "
                  + (shape.length - i)
                  + " cells left");
        }
        for (long end = i + run; i < end; i++) {
          if (i < offset && state != CellState.VALUE && state != CellState.NULL) {
            throw in.malformed("key cells are values or NULL, got state " + state);
          }
          if (i >= offset && kind == KIND_DELETE && state != CellState.ABSENT) {
            throw in.malformed("a delete carries a column value");
          }
          shape[i] = (byte) state;
        }
      }
      shapes[s] = shape;
    }
    int[] rowShapes =
        in.readPacked(rowCount, indexWidth(shapeCount), shapeCount - 1, "row shape index");
    in.expectEnd();
    return new Decoded(shapes, rowShapes);
  }

  /** A shape as a hash key: equal by content. */
  static final class Key {
    private final byte[] shape;
    private final int hash;

    Key(byte[] shape) {
      this.shape = shape;
      this.hash = Arrays.hashCode(shape);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && hash == k.hash && Arrays.equals(shape, k.shape);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
