"""Importers: a source yields ``ContactRecord``s, ``ContactImport`` writes them (all or nothing)."""
