"""The TOBS wire API shared by tobsd and tobsctl: `tobs.v1` holds the modules
generated from proto/tobs/v1/*.proto (see proto/generate.py). Nothing here
imports tobsd or tobsctl."""
