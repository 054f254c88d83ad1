package io.georep.connector;

import java.util.Objects;

/**
 * A one-dimensional array of a scalar type, such as {@code _int4} ({@code int4[]}). Its values are
 * {@link Value.Array}s whose elements are NULL or datums of the element type.
 *
 * <p>Multi-dimensional arrays and arrays with a lower bound other than 1 are not interpreted; a
 * connector carries such columns as an {@link OpaqueType}.
 *
 * @param elementType the type of the elements; never null
 */
public record ArrayType(ScalarType elementType) implements ColumnType {
  /** Validates the array type. */
  public ArrayType {
    Objects.requireNonNull(elementType, "elementType");
  }

  /**
   * Returns the catalog name: an underscore followed by the element type's name.
   *
   * @return the name, such as {@code _int4}
   */
  @Override
  public String typeName() {
    return "_" + elementType.typeName();
  }

  @Override
  public boolean accepts(Value value) {
    return value instanceof Value.Null
        || (value instanceof Value.Array a && a.elementType() == elementType);
  }

  /**
   * Returns the array type named {@code _element} or {@code element[]}, or null.
   *
   * @param typeName the name; never null
   * @return the array type, or null if the name does not name an array of a scalar type
   */
  static ArrayType byName(String typeName) {
    String element;
    if (typeName.startsWith("_")) {
      element = typeName.substring(1);
    } else if (typeName.endsWith("[]")) {
      element = typeName.substring(0, typeName.length() - 2);
    } else {
      return null;
    }
    ScalarType scalar = ScalarType.byName(element);
    return scalar == null ? null : scalar.arrayType();
  }

  /** Returns the catalog name, such as {@code _int4}. */
  @Override
  public String toString() {
    return typeName();
  }
}
