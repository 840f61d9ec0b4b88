#!/usr/bin/env pwsh
# Restores the pinned Cake tool (.config/dotnet-tools.json) and runs build/build.cake.
# Every argument is handed to Cake, e.g. ./build.ps1 --target=Demo ; ./build.sh --help lists the targets.
$ErrorActionPreference = 'Stop'
Set-Location -LiteralPath $PSScriptRoot
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

$cakeArgs = @($args | ForEach-Object { if ($_ -eq '--dry-run') { '--dryrun' } else { $_ } })

dotnet tool restore | Out-Null
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
dotnet cake build/build.cake @cakeArgs
exit $LASTEXITCODE
