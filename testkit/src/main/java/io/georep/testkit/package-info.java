/**
 * Real servers on loopback for georep's tests, the demo and the benchmarks: an embedded PostgreSQL
 * configured for logical replication, with restarts, crashes and a skewed clock ({@link
 * io.georep.testkit.EmbeddedRegionDatabase}); a KRaft Kafka broker in this JVM ({@link
 * io.georep.testkit.EmbeddedKafka}) or in a child JVM that can be killed ({@link
 * io.georep.testkit.ChildKafka}), optionally with a TLS listener for SCRAM over TLS or mutual TLS
 * ({@link io.georep.testkit.TlsListener}) and certificates from a test's own authority ({@link
 * io.georep.testkit.TestCertificates}); a TCP proxy that cuts, blocks one way or delays a link
 * ({@link io.georep.testkit.LoopbackProxy}); and polling with a deadline ({@link
 * io.georep.testkit.Await}). Everything binds to loopback on free ports and cleans up what it
 * created when closed.
 */
package io.georep.testkit;
