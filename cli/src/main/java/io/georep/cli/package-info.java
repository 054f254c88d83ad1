/**
 * The {@code georep} executable: {@link io.georep.cli.Main} joins the agent's commands and {@code
 * georep demo}.
 */
package io.georep.cli;
