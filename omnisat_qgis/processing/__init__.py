"""Processing provider "OmniSat": the plugin's operations as algorithms (toolbox, batch, Modeler, qgis_process)."""
