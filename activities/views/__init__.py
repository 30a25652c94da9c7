"""The API's views: DRF generic views configured by class attributes."""
