; Kibitz for Windows: an Inno Setup 6 installer around the PyInstaller one-folder build.
; Not built or tested on this project's Linux CI; see README.md beside this file.
;
;   iscc /DAppVersion=0.1.0 packaging\windows\kibitz.iss
;
; Installs per user by default (no administrator rights; the user may choose all users),
; adds Start menu entries, an uninstaller (Settings > Apps), and optional tasks: a desktop
; icon and starting Kibitz in the tray at login.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#define AppName "Kibitz"
#define AppExe "kibitz.exe"

[Setup]
; Never change AppId: Windows finds an earlier installation (to upgrade or remove) by it.
AppId={{0640D9BC-374E-4ED4-9962-81C949D75AC8}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=The Kibitz developers
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=kibitz-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
; Kibitz must not run while its files are replaced or removed.
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "startatlogin"; Description: "Start Kibitz in the tray when I log in"; GroupDescription: "Start:"; Flags: unchecked

[Files]
; dist\kibitz: kibitz.exe (the app, no console), kibitz-cli.exe (the command line), _internal\.
Source: "..\..\dist\kibitz\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\{#AppName} Quick Ask"; Filename: "{app}\{#AppExe}"; Parameters: "--quick-ask"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; Start at login: the current user's Run key, removed again by the uninstaller.
Root: HKCU; Subkey: "Software\Microsoft\Windows\CurrentVersion\Run"; ValueType: string; ValueName: "{#AppName}"; ValueData: """{app}\{#AppExe}"" --tray"; Flags: uninsdeletevalue; Tasks: startatlogin

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Conversations and settings live in %LOCALAPPDATA%\kibitz and stay; only our own folder goes.
Type: dirifempty; Name: "{app}"
