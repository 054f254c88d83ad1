/**
 * Implementation details of the conflict-resolvers module: the built-in resolvers, the value order
 * and the value codec. May change in any release; use {@link io.georep.resolver.Resolvers} and
 * {@link io.georep.resolver.ResolverRegistry} instead.
 */
package io.georep.resolver.internal;
