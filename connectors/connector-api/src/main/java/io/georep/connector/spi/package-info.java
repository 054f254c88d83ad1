/**
 * The SPI that connectors implement: a {@link io.georep.connector.spi.ChangeSource} captures
 * committed transactions of the local database and hands them to a {@link
 * io.georep.connector.spi.TransactionHandler}; a {@link io.georep.connector.spi.ChangeApplier}
 * applies transactions of other regions to the local database.
 *
 * <p>Connectors are loaded by the agent; these interfaces are deliberately small and later issues
 * add capabilities as separate interfaces.
 */
package io.georep.connector.spi;
