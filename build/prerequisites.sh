# shellcheck shell=bash
# The external tools each build target needs, checked before any work is done. Sourced by build.sh.
# On Debian or Ubuntu, as root or with password-less sudo, the missing ones are installed with one apt-get
# line; elsewhere the build stops at once with one message that names each missing tool and how to install it.

# Tools each target needs (a target's dependencies included). Every Task of build/build.cake has an entry.
declare -A TARGET_TOOLS=(
  [Pack]="sdk" [Install]="sdk" [Variants]="sdk" [Build]="sdk"
  [UnitTests]="sdk shellcheck yamllint openssl" [Test]="sdk postgresql"
  [Smoke]="sdk postgresql chromium" [Faults]="sdk postgresql wrk"
  [LocalRun]="sdk postgresql curl" [Demo]="sdk postgresql curl"
  [Bench]="sdk postgresql wrk clang zlib"
  [Default]="sdk postgresql curl shellcheck yamllint wrk openssl chromium"
)

# Debian package, Homebrew formula and winget id of each tool ("-" where that manager has none).
declare -A APT_PACKAGE=([postgresql]=postgresql [curl]=curl [shellcheck]=shellcheck [yamllint]=yamllint
  [wrk]=wrk [clang]=clang [zlib]=zlib1g-dev [openssl]=openssl [chromium]=chromium)
declare -A BREW_INSTALL=([sdk]="brew install --cask dotnet-sdk" [postgresql]="brew install postgresql@15"
  [curl]="brew install curl" [shellcheck]="brew install shellcheck" [yamllint]="brew install yamllint"
  [wrk]="brew install wrk" [clang]="brew install llvm" [zlib]="brew install zlib" [openssl]="brew install openssl"
  [chromium]="brew install --cask chromium")
declare -A WINGET_INSTALL=([sdk]="winget install Microsoft.DotNet.SDK.10"
  [postgresql]="winget install PostgreSQL.PostgreSQL.15" [curl]="winget install cURL.cURL"
  [shellcheck]="winget install koalaman.shellcheck" [yamllint]="pip install yamllint" [wrk]="-"
  [clang]="winget install LLVM.LLVM" [zlib]="-" [openssl]="winget install ShiningLight.OpenSSL.Light"
  [chromium]="winget install Hibbiki.Chromium")

# What each tool is, for the message.
declare -A TOOL_TITLE=([sdk]="the .NET SDK that global.json names" [postgresql]="PostgreSQL's server binaries (initdb, pg_ctl)"
  [curl]="curl" [shellcheck]="shellcheck" [yamllint]="yamllint" [wrk]="wrk (HTTP load generator)"
  [clang]="clang (the Native AOT linker)" [zlib]="zlib headers (zlib.h, for Native AOT)"
  [openssl]="openssl (the deploy tests' up.sh makes a Data Protection certificate with it)"
  [chromium]="Chromium (the smoke checks drive it through Playwright; CHROMIUM_PATH names another)")

# The SDK version global.json asks for (its "version"), e.g. 10.0.100.
# Arguments: the global.json path.
global_json_sdk() {
  sed -n 's/.*"version"[[:space:]]*:[[:space:]]*"\([0-9][0-9.]*\)".*/\1/p' "$1" | head -n 1
}

# Succeeds when an installed SDK satisfies global.json's version under rollForward latestFeature: the same
# major.minor, and a feature band and patch at least the one asked for.
# Arguments: the wanted version (major.minor.patch).
have_sdk() {
  local wanted="$1" major minor patch version v_major v_minor v_patch
  IFS=. read -r major minor patch <<<"$wanted"
  command -v dotnet >/dev/null || return 1
  while read -r version _; do
    IFS=. read -r v_major v_minor v_patch <<<"${version%%-*}"
    [[ "$v_major" == "$major" && "$v_minor" == "$minor" && "$v_patch" =~ ^[0-9]+$ ]] || continue
    ((v_patch >= patch)) && return 0
  done < <(dotnet --list-sdks 2>/dev/null)
  return 1
}

# The folder holding PostgreSQL's server binaries, the way the generated space and its tests look for it.
find_postgres_bin() {
  local candidate
  if [[ -n "${PG_BIN:-}" && -x "$PG_BIN/initdb" ]]; then echo "$PG_BIN"; return 0; fi
  if command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then pg_config --bindir; return 0; fi
  for candidate in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r) /usr/local/pgsql/bin /opt/homebrew/bin /usr/local/bin; do
    if [[ -x "$candidate/initdb" ]]; then echo "$candidate"; return 0; fi
  done
  return 1
}

# Succeeds when the tool is usable here.
# Arguments: a tool key (sdk, postgresql, curl, …) and the repository root.
have_tool() {
  case "$1" in
    sdk) have_sdk "$(global_json_sdk "$2/global.json")" ;;
    postgresql) find_postgres_bin >/dev/null ;;
    chromium) [[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]] || command -v chromium >/dev/null ;;
    zlib) [[ -e /usr/include/zlib.h || -e /opt/homebrew/include/zlib.h || -e /usr/local/include/zlib.h ]] ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

# Succeeds when the missing tools can be installed here: apt-get on PATH, a Debian or Ubuntu system, and
# root or password-less sudo.
can_apt_install() {
  command -v apt-get >/dev/null || return 1
  grep -qsE '^(ID|ID_LIKE)=.*(debian|ubuntu)' /etc/os-release || return 1
  ((EUID == 0)) || { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }
}

# The target named by the arguments (--target=X, --target X, -t X), Default otherwise.
# Arguments: build.sh's arguments.
requested_target() {
  local target=Default
  while (($#)); do
    case "$1" in
      --target=*) target="${1#--target=}" ;;
      --target | -t) target="${2:-Default}"; shift ;;
    esac
    shift
  done
  echo "$target"
}

# Checks the tools the target needs; installs the missing ones where it can, else prints how and fails.
# Arguments: the target and the repository root.
ensure_prerequisites() {
  local target="$1" root="$2" tool needed missing=() packages=() sudo_cmd=()
  # An unknown target is Cake's to report; it needs the SDK to say so.
  needed="${TARGET_TOOLS[$target]:-sdk}"
  for tool in $needed; do
    have_tool "$tool" "$root" || missing+=("$tool")
  done
  ((${#missing[@]} == 0)) && return 0

  for tool in "${missing[@]}"; do
    [[ -n "${APT_PACKAGE[$tool]:-}" ]] && packages+=("${APT_PACKAGE[$tool]}")
  done
  # The SDK is not a Debian package: it cannot be installed here, whatever else can.
  if ((${#packages[@]} == ${#missing[@]})) && can_apt_install; then
    ((EUID == 0)) || sudo_cmd=(sudo -n)
    echo "build.sh: installing what --target=$target needs: apt-get install -y --no-install-recommends ${packages[*]}"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    missing=()
    for tool in $needed; do
      have_tool "$tool" "$root" || missing+=("$tool")
    done
    ((${#missing[@]} == 0)) && return 0
    echo "build.sh: still missing after apt-get install: ${missing[*]}" >&2
  fi

  {
    echo "build.sh: --target=$target needs tools that are missing here; nothing was built."
    for tool in "${missing[@]}"; do
      echo "  - ${TOOL_TITLE[$tool]}"
      if [[ "$tool" == sdk ]]; then
        echo "      apt:    apt-get install dotnet-sdk-$(global_json_sdk "$root/global.json" | cut -d. -f1,2) (from Microsoft's package repository for your distribution)"
      else
        echo "      apt:    apt-get install ${APT_PACKAGE[$tool]}"
      fi
      echo "      brew:   ${BREW_INSTALL[$tool]}"
      echo "      winget: ${WINGET_INSTALL[$tool]/#-/none: use WSL}"
    done
    echo "On Debian or Ubuntu, run ./build.sh as root or with password-less sudo and it installs them itself."
  } >&2
  return 1
}
