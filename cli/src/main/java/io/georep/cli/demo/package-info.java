/**
 * {@code georep demo}: several regions with a conflicting write load, a live status, scheduled
 * faults and a convergence verdict.
 */
package io.georep.cli.demo;
