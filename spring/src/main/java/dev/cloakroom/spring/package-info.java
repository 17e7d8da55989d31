/**
 * Session codec converters for the objects Spring Security and Spring MVC keep in the session: found on the class path
 * by {@link dev.cloakroom.SessionCodec.Builder#build()} through {@link dev.cloakroom.spring.SpringCodecModule}, each
 * group only when its Spring classes are present. The converters themselves are package-private.
 */
package dev.cloakroom.spring;
