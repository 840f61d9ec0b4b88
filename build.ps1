#!/usr/bin/env pwsh
# Restores the pinned Cake tool (.config/dotnet-tools.json), builds the toolkit build/build.cake references
# (build/CloudRunSpace.Validation, Release, into artifacts/toolkit/) and runs build/build.cake. Every argument is
# handed to Cake, e.g. ./build.ps1 --target=Demo ; --help lists the targets from their descriptions. Unlike
# build.sh it does not check or install the tools a target needs.
$ErrorActionPreference = 'Stop'
Set-Location -LiteralPath $PSScriptRoot
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

$help = @($args | Where-Object { $_ -in '-h', '--help' }).Count -gt 0
$cakeArgs = @($args | ForEach-Object { if ($_ -eq '--dry-run') { '--dryrun' } else { $_ } })

dotnet tool restore | Out-Null
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }

New-Item -ItemType Directory -Force -Path artifacts | Out-Null
$toolkitLog = 'artifacts/toolkit-build.log'
dotnet build build/CloudRunSpace.Validation/CloudRunSpace.Validation.csproj -c Release -o artifacts/toolkit -nologo -v quiet *> $toolkitLog
if ($LASTEXITCODE -ne 0) {
    Get-Content $toolkitLog | Write-Error
    Write-Error 'build.ps1: building the toolkit (build/CloudRunSpace.Validation) failed; see above'
    exit 1
}

if ($help) {
    Write-Output 'Usage: ./build.ps1 [--target=NAME] [--configuration=Release|Debug] [--dry-run] [--help] [other Cake options]'
    Write-Output 'Targets (from build/build.cake):'
    dotnet cake build/build.cake --description
    exit $LASTEXITCODE
}

dotnet cake build/build.cake @cakeArgs
exit $LASTEXITCODE
