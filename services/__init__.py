"""The three Hälsoval services. Each is self-contained; none imports another."""
