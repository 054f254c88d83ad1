/**
 * Real servers for running georep on one machine — demos, integration tests, benchmarks: an
 * embedded PostgreSQL configured for logical replication ({@link
 * io.georep.cli.sandbox.EmbeddedRegionDatabase}), an in-process KRaft Kafka broker with optional
 * advertised listeners ({@link io.georep.cli.sandbox.EmbeddedKafka}), and a loopback TCP proxy that
 * can cut a link ({@link io.georep.cli.sandbox.LoopbackProxy}). Everything binds to loopback on
 * free ports and cleans up what it created when closed.
 */
package io.georep.cli.sandbox;
