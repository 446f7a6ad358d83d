"""The bundled KAITO catalog: models, GPU SKUs, prices, templates, feature gates."""
