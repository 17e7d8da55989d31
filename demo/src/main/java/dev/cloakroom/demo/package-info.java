/**
 * The seed's upload app on embedded Jetty 12 and Cloakroom: {@link dev.cloakroom.demo.DemoApp} starts it, configured
 * with Flask-Session's setting names; everything else here is package-private.
 */
package dev.cloakroom.demo;
