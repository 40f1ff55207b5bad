"""The foundation: the settings loader and the version. Every layer reads them; they import nothing of ours."""
