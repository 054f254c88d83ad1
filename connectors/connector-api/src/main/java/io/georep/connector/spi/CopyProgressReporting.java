package io.georep.connector.spi;

/** A capability of a {@link ChangeSource}: reporting the progress of its initial copy. */
public interface CopyProgressReporting {
  /**
   * Sets the listener of the initial copy's progress; call before {@link ChangeSource#start}.
   *
   * @param listener the listener; never null
   */
  void setCopyProgressListener(CopyProgressListener listener);
}
