"""pytest plugin placeholder (filled in by the emulator work)."""
