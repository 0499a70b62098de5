"""OmniSat for QGIS: classify aerial + Sentinel-1 + Sentinel-2 imagery with OmniSat, trained on your own data."""


def classFactory(iface):  # noqa: N802 - the name QGIS looks for
    from omnisat_qgis.plugin import OmniSatPlugin

    return OmniSatPlugin(iface)
