package dev.cloakroom.spi;

/** Exclusive right to sweep a store, held until closed or until its time-to-live runs out. */
public interface SweepLease extends AutoCloseable {

    /** The lease of a store that only one process sees: always granted, nothing to release. */
    SweepLease LOCAL = () -> { };

    @Override
    void close();
}
