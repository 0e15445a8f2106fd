"""The conversion engine: raw forms → mapped records → finalised datasets."""
