"""The ``mjquery`` command line: a thin layer over the library."""
