package io.georep.connector.spi;

import io.georep.connector.TableId;

/**
 * What a {@link ConflictListener} learns of one resolved conflict: enough to count it by table,
 * type and resolver. The resolvers' {@code io.georep.resolver.Conflict} implements it with the
 * whole story (both versions, the winner, the columns).
 */
public interface ConflictReport {
  /**
   * Returns the table of the conflicting row.
   *
   * @return the table; never null
   */
  TableId table();

  /**
   * Returns the conflict's type as its stable tag, for example {@code update_update}.
   *
   * @return the tag; never null
   */
  String typeTag();

  /**
   * Returns the name of the resolver that settled it.
   *
   * @return the resolver's name; never null
   */
  String resolver();
}
