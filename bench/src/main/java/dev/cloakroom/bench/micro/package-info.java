/**
 * JMH micro-benchmarks of Cloakroom's hot paths that need no store: the attribute codec, id generation and id
 * hashing; and the runner that puts their scores in the report.
 */
package dev.cloakroom.bench.micro;
