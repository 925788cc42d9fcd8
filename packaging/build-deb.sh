#!/bin/sh
# Builds the Debian package of TOBS from a wheel of it:
#
#   packaging/build-deb.sh dist/tobs-0.1.0-py3-none-any.whl OUTDIR
#
# The application goes into a private virtual environment, /opt/tobs/venv,
# made for the Debian Python it depends on; /usr/bin/tobsd and /usr/bin/tobsctl
# point into it. With the units, the sysusers.d and tmpfiles.d snippets, the
# example configuration (a conffile), tobsctl's bash, zsh and fish completion
# and the maintainer scripts from packaging/debian/.
#
# Environment:
#   PYTHON      the interpreter the package is for (default /usr/bin/python3)
#   PIP         the pip that installs into the venv (default: "$PYTHON -m pip");
#               it needs --python support (pip >= 22.3)
#   FIND_LINKS  a folder of wheels to install from without an index (offline);
#               unset: the dependencies come from PyPI
#   DEB_REVISION  the Debian revision (default 1)
#   DEB_COMPRESSION  dpkg-deb's compression options (default -Zxz; the tests
#               use "-Zgzip -z1", which is faster)
set -eu

wheel=$(realpath "$1")
outdir=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
python=$(realpath "${PYTHON:-/usr/bin/python3}")
pip=${PIP:-"$python -m pip"}
pyname=$(basename "$python")             # python3.11: the package depends on it
case "$pyname" in python3.*) ;; *) echo "PYTHON must be a python3.X, got $python" >&2; exit 2;; esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
venv="$root/opt/tobs/venv"
mkdir -p "$root"

# --- the application ----------------------------------------------------------
"$python" -m venv --without-pip "$venv"
if [ -n "${FIND_LINKS:-}" ]; then
    set -- --no-index --find-links "$(realpath "$FIND_LINKS")"
else
    set --
fi
$pip --python "$venv/bin/python" install --quiet --no-compile --disable-pip-version-check "$@" "$wheel"
version=$("$venv/bin/python" -c 'from importlib.metadata import version; print(version("tobs"))')
# The venv was made in the staging folder: its scripts and pyvenv.cfg name that
# path. Point them at /opt/tobs/venv, where dpkg puts it.
grep -rlI --null -F "$root" "$venv" | xargs -0 -r sed -i "s#$root##g"
rm -rf "$venv"/lib/*/site-packages/*.dist-info/direct_url.json
# Only the interpreter and TOBS's commands in bin/: nothing activates this venv.
find "$venv/bin" -mindepth 1 ! -name 'python*' ! -name tobsd ! -name tobsctl -delete
# Only shared objects are executable in lib/: some wheels (protobuf) ship
# modules and metadata with the executable bit, which lintian rightly flags.
find "$venv/lib" -type f -perm /111 ! -name '*.so' ! -name '*.so.*' -exec chmod a-x {} +
# Debian ships shared objects stripped of their debugging symbols.
if command -v strip >/dev/null 2>&1; then
    find "$venv/lib" -name '*.so' -type f -exec strip --strip-unneeded {} +
fi
# Shell completion for tobsctl, from the installed tobsctl itself (run from /,
# so the sources next to this script are not what it imports).
completions() { (cd / && "$venv/bin/python" -B -m tobsctl completion "$1"); }
install -d "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
    "$root/usr/share/fish/vendor_completions.d"
completions bash > "$root/usr/share/bash-completion/completions/tobsctl"
completions zsh > "$root/usr/share/zsh/vendor-completions/_tobsctl"
completions fish > "$root/usr/share/fish/vendor_completions.d/tobsctl.fish"
chmod 0644 "$root/usr/share/bash-completion/completions/tobsctl" \
    "$root/usr/share/zsh/vendor-completions/_tobsctl" "$root/usr/share/fish/vendor_completions.d/tobsctl.fish"
"$python" -m compileall -q -j 0 -s "$root" -p / "$venv/lib" >/dev/null
mkdir -p "$root/usr/bin"
for cmd in tobsd tobsctl; do
    ln -s "/opt/tobs/venv/bin/$cmd" "$root/usr/bin/$cmd"
done

# --- systemd, configuration, documentation ----------------------------------------
install -D -m 0644 "$repo/systemd/tobsd.service" "$root/usr/lib/systemd/user/tobsd.service"
install -D -m 0644 "$repo/systemd/tobsd@.service" "$root/usr/lib/systemd/user/tobsd@.service"
install -D -m 0644 "$repo/systemd/system/tobsd@.service" "$root/usr/lib/systemd/system/tobsd@.service"
install -D -m 0644 "$repo/systemd/sysusers.d/tobs.conf" "$root/usr/lib/sysusers.d/tobs.conf"
install -D -m 0644 "$repo/systemd/tmpfiles.d/tobs.conf" "$root/usr/lib/tmpfiles.d/tobs.conf"
install -D -m 0644 "$here/etc-tobs-example.toml" "$root/etc/tobs/example.toml"
doc="$root/usr/share/doc/tobs"
install -D -m 0644 "$here/debian/copyright" "$doc/copyright"
install -m 0644 "$here/tobsd.example.toml" "$repo/README.md" "$doc/"
gzip -9n "$doc/README.md"
date=$(date -R -u -d "@${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)}")
printf 'tobs (%s-%s) unstable; urgency=medium\n\n  * Built from the TOBS sources.\n\n -- TOBS maintainers <tobs@localhost>  %s\n' \
    "$version" "${DEB_REVISION:-1}" "$date" | gzip -9n > "$doc/changelog.Debian.gz"
install -D -m 0644 "$here/debian/lintian-overrides" "$root/usr/share/lintian/overrides/tobs"

# --- control ------------------------------------------------------------------
mkdir -p "$root/DEBIAN"
install -m 0755 "$here/debian/postinst" "$here/debian/postrm" "$root/DEBIAN/"
install -m 0644 "$here/debian/conffiles" "$root/DEBIAN/"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version-${DEB_REVISION:-1}/" -e "s/@ARCH@/$(dpkg --print-architecture)/" \
    -e "s/@PYTHON@/$pyname/" -e "s/@SIZE@/$size/" "$here/debian/control.in" > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum \
    | sed 's#  \./#  #') > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

mkdir -p "$outdir"
deb="$outdir/tobs_${version}-${DEB_REVISION:-1}_$(dpkg --print-architecture).deb"
# shellcheck disable=SC2086  # DEB_COMPRESSION is a list of options
dpkg-deb --root-owner-group ${DEB_COMPRESSION:--Zxz} --build "$root" "$deb" >/dev/null
echo "$deb"
