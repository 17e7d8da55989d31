/**
 * Sessions in Redis: {@link dev.cloakroom.redis.RedisSessionStore} (standalone, Sentinel or Cluster, on Lettuce), one
 * hash per session written by one atomic Lua script, and the provider that serves {@code SESSION_TYPE=redis}.
 */
package dev.cloakroom.redis;
