# shellcheck shell=bash disable=SC2034 # SPACE_DIR is read by the scripts that source this file.
# Sourced first by every deploy script: loads the shared library from deploy/lib.
# shellcheck source-path=SCRIPTDIR
DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SPACE_DIR=$(cd "$DEPLOY_DIR/.." && pwd)
# shellcheck source=common.sh
source "$DEPLOY_DIR/lib/common.sh"
# shellcheck source=config.sh
source "$DEPLOY_DIR/lib/config.sh"
# shellcheck source=manifest.sh
source "$DEPLOY_DIR/lib/manifest.sh"
# shellcheck source=names.sh
source "$DEPLOY_DIR/lib/names.sh"
# shellcheck source=binauthz.sh
source "$DEPLOY_DIR/lib/binauthz.sh"
# shellcheck source=edge.sh
source "$DEPLOY_DIR/lib/edge.sh"
# shellcheck source=services.sh
source "$DEPLOY_DIR/lib/services.sh"
# shellcheck source=release.sh
source "$DEPLOY_DIR/lib/release.sh"
# shellcheck source=entries.sh
source "$DEPLOY_DIR/lib/entries.sh"
