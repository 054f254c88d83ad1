package io.georep.connector.spi;

/**
 * What an agent needs of the applier of its region's database: the {@link ChangeApplier} with its
 * capabilities together.
 */
public interface RegionApplier
    extends ChangeApplier,
        PositionedApply,
        LocalWriteFolding,
        GarbageCollecting,
        ConflictReporting {}
