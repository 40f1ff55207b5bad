"""One spider per source kind: file name = spider name = source kind."""
