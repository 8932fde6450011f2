"""Pages of the integrity app, one module per part: the portal's (members, programmes,
applications, reviews, certificates, announcements, benchmarks) and the public ones
(directory, certificate checks, announcements, broken-promise reports)."""
