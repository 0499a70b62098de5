<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
  <context>
    <name>OmniSat</name>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="125" />
      <source>OmniSat</source>
      <translation>OmniSat</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="138" />
      <source>Connect runner</source>
      <translation>Runner verbinden</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="140" />
      <source>Settings…</source>
      <translation>Einstellungen…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="148" />
      <source>Imagery</source>
      <translation>Bilddaten</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="149" />
      <source>Train</source>
      <translation>Trainieren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="150" />
      <source>Classify</source>
      <translation>Klassifizieren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="151" />
      <source>Export</source>
      <translation>Exportieren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="173" />
      <source>Runner: not installed — open Settings… and click Install runner, or enter a remote runner's URL</source>
      <translation>Runner: nicht installiert — Einstellungen… öffnen und Runner installieren klicken, oder die URL eines entfernten Runners eingeben</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="175" />
      <source>Runner: not connected — click Connect runner</source>
      <translation>Runner: nicht verbunden — Runner verbinden klicken</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="176" />
      <source>Runner: starting…</source>
      <translation>Runner: startet…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="177" />
      <source>Runner: connected</source>
      <translation>Runner: verbunden</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="178" />
      <source>Runner: failed</source>
      <translation>Runner: Fehler</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="182" />
      <source>Restart runner</source>
      <translation>Runner neu starten</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="190" />
      <source>Runner</source>
      <translation>Runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="190" />
      <source>the runner is not installed: open Settings… and click Install runner</source>
      <translation>der Runner ist nicht installiert: Einstellungen… öffnen und Runner installieren klicken</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="204" />
      <source>the runner could not be started or reached: {reason}</source>
      <translation>der Runner konnte nicht gestartet oder erreicht werden: {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="211" />
      <source>OmniSat: connect to the runner</source>
      <translation>OmniSat: Verbindung zum Runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="230" />
      <source>Aerial image</source>
      <translation>Luftbild</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="233" />
      <source>Sentinel-1: one layer per date (date editable)</source>
      <translation>Sentinel-1: ein Layer pro Datum (Datum editierbar)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="234" />
      <source>Sentinel-2: one layer per date (date editable)</source>
      <translation>Sentinel-2: ein Layer pro Datum (Datum editierbar)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="240" />
      <source>Layer names to add, with * as a wildcard</source>
      <translation>Namen der hinzuzufügenden Layer, * als Platzhalter</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="242" />
      <source>Add matching</source>
      <translation>Hinzufügen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="243" />
      <source>Add every raster layer of the project whose name matches the pattern</source>
      <translation>Jeden Rasterlayer des Projekts hinzufügen, dessen Name zum Muster passt</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="245" />
      <source>Clear</source>
      <translation>Leeren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="255" />
      <source>the imagery's common extent</source>
      <translation>gemeinsame Ausdehnung der Bilddaten</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="265" />
      <source>Extent</source>
      <translation>Ausdehnung</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="270" />
      <source>Patch size</source>
      <translation>Patchgröße</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="278" />
      <source>Fine-tune on labels</source>
      <translation>Auf Labels feinabstimmen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="291" />
      <source>(from scratch)</source>
      <translation>(von Grund auf)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="292" />
      <source>Label polygons</source>
      <translation>Label-Polygone</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="293" />
      <source>New label layer…</source>
      <translation>Neuer Label-Layer…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="296" />
      <source>Class field</source>
      <translation>Klassenfeld</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="297" />
      <source>Colour field (optional)</source>
      <translation>Farbfeld (optional)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="298" />
      <source>Start from</source>
      <translation>Ausgehend von</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="299" />
      <source>New model name</source>
      <translation>Name des neuen Modells</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="300" />
      <source>Epochs</source>
      <translation>Epochen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="301" />
      <source>Fine-tune</source>
      <translation>Feinabstimmen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="306" />
      <source>Pretrain</source>
      <translation>Vortrainieren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="308" />
      <source>Self-supervised, no labels: teaches the model your imagery before fine-tuning.</source>
      <translation>Selbstüberwacht, ohne Labels: lehrt das Modell Ihre Bilddaten vor der Feinabstimmung.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="317" />
      <source>Size</source>
      <translation>Größe</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="328" />
      <source>Model</source>
      <translation>Modell</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="329" />
      <source>Refresh model list</source>
      <translation>Modellliste aktualisieren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="341" />
      <source>Class map</source>
      <translation>Klassenkarte</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="348" />
      <source>Polygons with hectares, an area table and a printable map from a class map.</source>
      <translation>Polygone mit Hektar, Flächentabelle und druckbare Karte aus einer Klassenkarte.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="355" />
      <source>Land cover</source>
      <translation>Landbedeckung</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="359" />
      <source>Confidence (optional)</source>
      <translation>Konfidenz (optional)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="360" />
      <source>Title</source>
      <translation>Titel</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="361" />
      <source>Output folder</source>
      <translation>Ausgabeordner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="365" />
      <source>Double-click a file to open it</source>
      <translation>Doppelklick öffnet die Datei</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="370" />
      <source>Files written (double-click to open):</source>
      <translation>Geschriebene Dateien (Doppelklick zum Öffnen):</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="407" />
      <source>choose an aerial layer or tick Sentinel-1/2 layers on the Imagery tab</source>
      <translation>wählen Sie einen Luftbild-Layer oder haken Sie Sentinel-1/2-Layer im Reiter Bilddaten an</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="413" />
      <source>the runner is not connected: click Connect runner at the top of the panel</source>
      <translation>der Runner ist nicht verbunden: klicken Sie oben im Bedienfeld auf Runner verbinden</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="414" />
      <source>choose a model (fine-tune one on labels first, Train tab)</source>
      <translation>wählen Sie ein Modell (zuerst eines auf Labels feinabstimmen, Reiter Trainieren)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="416" />
      <source>choose where to write the class map</source>
      <translation>wählen Sie, wohin die Klassenkarte geschrieben wird</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="423" />
      <source>choose a label polygon layer (or create one with New label layer…)</source>
      <translation>wählen Sie einen Label-Polygonlayer (oder erstellen Sie einen mit Neuer Label-Layer…)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="425" />
      <source>choose the field of {layer} that holds the class names</source>
      <translation>wählen Sie das Feld von {layer}, das die Klassennamen enthält</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="427" />
      <source>name the new model</source>
      <translation>benennen Sie das neue Modell</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="451" />
      <source>Model list</source>
      <translation>Modellliste</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="451" />
      <source>could not list the runner's models: {reason}</source>
      <translation>die Modelle des Runners konnten nicht aufgelistet werden: {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="474" />
      <source>OmniSat: list models</source>
      <translation>OmniSat: Modelle auflisten</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="481" />
      <source>loading {name}…</source>
      <translation>{name} wird geladen…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="491" />
      <source>&lt;b&gt;{name}&lt;/b&gt; ({size}, {kind})&lt;br&gt;modalities: {modalities}&lt;br&gt;classes: {classes}&lt;br&gt;validation: OA {oa}, macro F1 {f1}</source>
      <translation>&lt;b&gt;{name}&lt;/b&gt; ({size}, {kind})&lt;br&gt;Modalitäten: {modalities}&lt;br&gt;Klassen: {classes}&lt;br&gt;Validierung: Gesamtgenauigkeit {oa}, Makro-F1 {f1}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="498" />
      <source>OmniSat: model card</source>
      <translation>OmniSat: Modellsteckbrief</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="527" />
      <source>a {action} job is already running: wait for it or click its Cancel</source>
      <translation>ein Auftrag „{action}“ läuft bereits: warten Sie oder klicken Sie auf dessen Abbrechen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="539" />
      <source>{output} is being written by the running {job} job: choose another name or cancel that job</source>
      <translation>{output} wird gerade vom laufenden Auftrag „{job}“ geschrieben: wählen Sie einen anderen Namen oder brechen Sie diesen Auftrag ab</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="553" />
      <source>{action} cancelled</source>
      <translation>{action} abgebrochen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="559" />
      <source>failed: {reason}</source>
      <translation>fehlgeschlagen: {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="565" />
      <source>model {name} saved</source>
      <translation>Modell {name} gespeichert</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="567" />
      <source> — validation OA {oa:.3f}, macro F1 {f1:.3f}</source>
      <translation> — Validierung: Gesamtgenauigkeit {oa:.3f}, Makro-F1 {f1:.3f}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="581" />
      <source>class map written to {path}</source>
      <translation>Klassenkarte geschrieben nach {path}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="589" />
      <source>Export map</source>
      <translation>Karte exportieren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="591" />
      <source>an export is already running: wait for it or click its Cancel</source>
      <translation>ein Export läuft bereits: warten Sie oder klicken Sie auf dessen Abbrechen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="595" />
      <source>choose a class map layer (classify first, or add one to the project)</source>
      <translation>wählen Sie einen Klassenkarten-Layer (zuerst klassifizieren oder einen zum Projekt hinzufügen)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="599" />
      <source>choose an output folder for the export</source>
      <translation>wählen Sie einen Ausgabeordner für den Export</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="619" />
      <source>Classes</source>
      <translation>Klassen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="622" />
      <source>the map could not be printed: {reason}</source>
      <translation>die Karte konnte nicht gedruckt werden: {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="626" />
      <source>export written to {folder}</source>
      <translation>Export geschrieben nach {folder}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="629" />
      <source>OmniSat: export map</source>
      <translation>OmniSat: Karte exportieren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="650" />
      <source>New label layer</source>
      <translation>Neuer Label-Layer</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="673" />
      <source>classes ({model})</source>
      <translation>Klassen ({model})</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="679" />
      <source>confidence</source>
      <translation>Konfidenz</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/jobs.py" line="26" />
      <source>Cancel</source>
      <translation>Abbrechen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/series_table.py" line="23" />
      <source>use</source>
      <translation>nutzen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/series_table.py" line="23" />
      <source>layer</source>
      <translation>Layer</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/series_table.py" line="23" />
      <source>date</source>
      <translation>Datum</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/series_table.py" line="24" />
      <source>YYYY-MM-DD; double-click to edit</source>
      <translation>JJJJ-MM-TT; Doppelklick zum Bearbeiten</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="100" />
      <source>Remote runner token</source>
      <translation>Token des entfernten Runners</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="101" />
      <source>Device</source>
      <translation>Gerät</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="103" />
      <source>Runner: checking…</source>
      <translation>Runner: wird geprüft…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="104" />
      <source>Install: looking for a Python and a GPU…</source>
      <translation>Installation: suche Python und GPU…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="109" />
      <source>Test runner</source>
      <translation>Runner testen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="109" />
      <source>Copy diagnostics</source>
      <translation>Diagnose kopieren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="110" />
      <source>Install runner</source>
      <translation>Runner installieren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="139" />
      <source>Runner: not installed — click Install runner, or enter a remote URL</source>
      <translation>Runner: nicht installiert — Runner installieren klicken oder eine entfernte URL eingeben</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="147" />
      <source>Runner: not running ({reason}); it starts when the panel connects</source>
      <translation>Runner: läuft nicht ({reason}); er startet, wenn sich das Bedienfeld verbindet</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="150" />
      <source>Runner: {version} on {device} (torch {torch}, path access {paths})</source>
      <translation>Runner: {version} auf {device} (torch {torch}, Pfadzugriff {paths})</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="154" />
      <source>OmniSat: runner health</source>
      <translation>OmniSat: Runner-Status</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="159" />
      <source>Install: probe failed: {reason}</source>
      <translation>Installation: Erkennung fehlgeschlagen: {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="163" />
      <source>Install: no usable Python 3.10+ found: {reason}</source>
      <translation>Installation: kein nutzbares Python 3.10+ gefunden: {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="166" />
      <source>Install would use {python} and PyTorch {build} ({reason})</source>
      <translation>Die Installation würde {python} und PyTorch {build} verwenden ({reason})</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="169" />
      <source>OmniSat: probe Python and GPU</source>
      <translation>OmniSat: Python und GPU erkennen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="179" />
      <source>The token could not be stored in QGIS's authentication database (master password not set?): it is used for this session only.</source>
      <translation>Das Token konnte nicht in der Authentifizierungsdatenbank von QGIS gespeichert werden (Master-Passwort nicht gesetzt?): es gilt nur für diese Sitzung.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="186" />
      <source>OmniSat: stop the previous runner</source>
      <translation>OmniSat: vorherigen Runner beenden</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="193" />
      <source>Testing the runner…</source>
      <translation>Runner wird getestet…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="197" />
      <source>not reachable: {reason}</source>
      <translation>nicht erreichbar: {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="199" />
      <source>runner {version} on {device} (torch {torch}, protocol {protocol}, path access {paths})</source>
      <translation>Runner {version} auf {device} (torch {torch}, Protokoll {protocol}, Pfadzugriff {paths})</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="202" />
      <source> — running a tiny classification…</source>
      <translation> — kleine Testklassifikation läuft…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="206" />
      <source>selftest failed: {reason}</source>
      <translation>Selbsttest fehlgeschlagen: {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="209" />
      <source>selftest passed: tiny scene trained in {train} s and classified in {classify} s</source>
      <translation>Selbsttest bestanden: kleine Szene in {train} s trainiert und in {classify} s klassifiziert</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="217" />
      <source>OmniSat: test runner</source>
      <translation>OmniSat: Runner testen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="237" />
      <source>Diagnostics failed: {reason}</source>
      <translation>Diagnose fehlgeschlagen: {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="240" />
      <source>Diagnostics copied to the clipboard (paths and tokens redacted).</source>
      <translation>Diagnose in die Zwischenablage kopiert (Pfade und Tokens geschwärzt).</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="242" />
      <source>Collecting diagnostics…</source>
      <translation>Diagnose wird gesammelt…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="243" />
      <source>OmniSat: diagnostics</source>
      <translation>OmniSat: Diagnose</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="252" />
      <source>Still looking for a Python and a GPU: try again in a moment.</source>
      <translation>Suche nach Python und GPU läuft noch: versuchen Sie es gleich noch einmal.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="255" />
      <source>No usable Python 3.10+ found: {reason}</source>
      <translation>Kein nutzbares Python 3.10+ gefunden: {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="259" />
      <source>The runner package was not found next to the plugin; see docs/install.md</source>
      <translation>Das Runner-Paket wurde neben dem Plugin nicht gefunden; siehe docs/install.md</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="262" />
      <source>Installing the runner with PyTorch {build} ({reason})…</source>
      <translation>Runner wird mit PyTorch {build} installiert ({reason})…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="270" />
      <source>Runner installed: {info}</source>
      <translation>Runner installiert: {info}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="272" />
      <source>Install failed: {reason}</source>
      <translation>Installation fehlgeschlagen: {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="76" />
      <source>OmniSat settings</source>
      <translation>OmniSat-Einstellungen</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="90" />
      <source>empty: a local runner started by the plugin; or https://gpu-server:8443</source>
      <translation>leer: ein lokaler, vom Plugin gestarteter Runner; oder https://gpu-server:8443</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="93" />
      <source>Kept in QGIS's encrypted authentication database</source>
      <translation>In der verschlüsselten Authentifizierungsdatenbank von QGIS gespeichert</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="97" />
      <source>Runner Python</source>
      <translation>Python des Runners</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="98" />
      <source>Runner home</source>
      <translation>Runner-Verzeichnis</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="99" />
      <source>Remote runner URL</source>
      <translation>URL des entfernten Runners</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="50" />
      <source>Aerial image (3-5 bands: R, G, B, NIR, elevation)</source>
      <translation>Luftbild (3–5 Kanäle: R, G, B, NIR, Höhe)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="52" />
      <source>Sentinel-1 series (one raster per date, VV and VH; dates from the names)</source>
      <translation>Sentinel-1-Zeitreihe (ein Raster pro Datum, VV und VH; Daten aus den Namen)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="55" />
      <source>Sentinel-2 series (one raster per date, 10 bands; dates from the names)</source>
      <translation>Sentinel-2-Zeitreihe (ein Raster pro Datum, 10 Kanäle; Daten aus den Namen)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="58" />
      <source>Extent (default: the imagery's common extent)</source>
      <translation>Ausdehnung (Standard: gemeinsame Ausdehnung der Bilddaten)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="60" />
      <source>Patch size (m)</source>
      <translation>Patchgröße (m)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="63" />
      <source>Precision</source>
      <translation>Rechengenauigkeit</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/classify_extent.py" line="21" />
      <source>Classify extent</source>
      <translation>Ausdehnung klassifizieren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/classify_extent.py" line="24" />
      <source>Runs a fine-tuned OmniSat model of the runner over the extent and writes a class map (GeoTIFF, one value per class, names and colours embedded, .qml style beside it) and a confidence raster (0–1, `_confidence.tif`). Any subset of the model's modalities may be given. Parameters: aerial image; Sentinel-1 and Sentinel-2 series (one raster per date, the date in the layer name, e.g. S2_20200315); extent (any CRS); patch size; device; precision (advanced: auto runs base models in bf16 where that is faster with the same accuracy, on GPUs and CPUs with AVX512-BF16 or AMX; fp32 gives the same map on every machine); MODEL: the name of a classifier listed by the runner; OUTPUT: the class map file.</source>
      <translation>Wendet ein feinabgestimmtes OmniSat-Modell des Runners auf die Ausdehnung an und schreibt eine Klassenkarte (GeoTIFF, ein Wert pro Klasse, Namen und Farben eingebettet, .qml-Stil daneben) und ein Konfidenzraster (0–1, `_confidence.tif`). Jede Teilmenge der Modalitäten des Modells kann angegeben werden. Parameter: Luftbild; Sentinel-1- und Sentinel-2-Zeitreihen (ein Raster pro Datum, das Datum im Layernamen, z. B. S2_20200315); Ausdehnung (beliebiges KBS); Patchgröße; Gerät; Rechengenauigkeit (erweitert: auto rechnet base-Modelle in bf16, wo das bei gleicher Genauigkeit schneller ist, auf GPUs und CPUs mit AVX512-BF16 oder AMX; fp32 liefert auf jedem Rechner dieselbe Karte); MODEL: der Name eines vom Runner gelisteten Klassifikators; OUTPUT: die Datei der Klassenkarte.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/classify_extent.py" line="35" />
      <source>Model (a fine-tuned classifier)</source>
      <translation>Modell (ein feinabgestimmter Klassifikator)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/classify_extent.py" line="37" />
      <source>Confidence</source>
      <translation>Konfidenz</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="21" />
      <source>Export map for foresters</source>
      <translation>Karte für die Forstpraxis exportieren</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="33" />
      <source>From an OmniSat class map: a GeoPackage of class polygons (class, area_ha, mean_confidence; patches smaller than two cells merged), a per-class area table in hectares and percent (CSV and HTML), and a printable A4 map (PDF and PNG) with title, legend, scale bar, north arrow, CRS, date and model name.</source>
      <translation>Aus einer OmniSat-Klassenkarte: ein GeoPackage mit Klassenpolygonen (Klasse, area_ha, mean_confidence; Flächen kleiner als zwei Zellen zusammengeführt), eine Flächentabelle pro Klasse in Hektar und Prozent (CSV und HTML) und eine druckbare A4-Karte (PDF und PNG) mit Titel, Legende, Maßstabsleiste, Nordpfeil, KBS, Datum und Modellname.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="40" />
      <source>Confidence raster</source>
      <translation>Konfidenzraster</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="41" />
      <source>Map title</source>
      <translation>Kartentitel</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="42" />
      <source>Model name (printed on the map)</source>
      <translation>Modellname (auf der Karte gedruckt)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="45" />
      <source>Polygons</source>
      <translation>Polygone</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="45" />
      <source>Area table (CSV)</source>
      <translation>Flächentabelle (CSV)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="46" />
      <source>Area report (HTML)</source>
      <translation>Flächenbericht (HTML)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="46" />
      <source>Map (PDF)</source>
      <translation>Karte (PDF)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="47" />
      <source>Map (PNG)</source>
      <translation>Karte (PNG)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/finetune.py" line="28" />
      <source>Trains a per-patch classifier from labelled polygons. LABELS: a polygon layer saved to a file (GeoPackage, Shapefile, GeoJSON) in any CRS; CLASS_FIELD: its class (text or integer); COLOR_FIELD: optional #rrggbb colours; BASE_MODEL: a pretrained model (empty: from scratch). Validation uses spatially disjoint blocks; per-class F1 and the confusion matrix are in the log and the model card.</source>
      <translation>Trainiert einen Patch-Klassifikator aus gelabelten Polygonen. LABELS: ein in einer Datei gespeicherter Polygonlayer (GeoPackage, Shapefile, GeoJSON) in beliebigem KBS; CLASS_FIELD: seine Klasse (Text oder Ganzzahl); COLOR_FIELD: optionale #rrggbb-Farben; BASE_MODEL: ein vortrainiertes Modell (leer: von Grund auf). Die Validierung nutzt räumlich getrennte Blöcke; F1 pro Klasse und die Konfusionsmatrix stehen im Protokoll und im Modellsteckbrief.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/finetune.py" line="40" />
      <source>Colour field</source>
      <translation>Farbfeld</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/finetune.py" line="42" />
      <source>Pretrained model (empty: from scratch)</source>
      <translation>Vortrainiertes Modell (leer: von Grund auf)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/finetune.py" line="46" />
      <source>Model size (from scratch)</source>
      <translation>Modellgröße (von Grund auf)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/pretrain.py" line="23" />
      <source>Pretrain (self-supervised)</source>
      <translation>Vortrainieren (selbstüberwacht)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/pretrain.py" line="26" />
      <source>Pretrains OmniSat on the imagery itself with its contrastive and masked-reconstruction losses; no labels are needed. The model is saved by the runner under MODEL_NAME (replacing a model of that name only when training completes) and can then be fine-tuned on labels. SIZE: base (the paper's model; a GPU helps) or tiny (fast on a CPU). EPOCHS: passes over the extent.</source>
      <translation>Trainiert OmniSat mit seinen kontrastiven und Masked-Reconstruction-Verlusten auf den Bilddaten selbst vor; Labels sind nicht nötig. Der Runner speichert das Modell unter MODEL_NAME (ein gleichnamiges Modell wird erst ersetzt, wenn das Training abgeschlossen ist); danach kann es auf Labels feinabgestimmt werden. SIZE: base (das Modell des Artikels; eine GPU hilft) oder tiny (schnell auf einer CPU). EPOCHS: Durchläufe über die Ausdehnung.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/pretrain.py" line="35" />
      <source>Model size</source>
      <translation>Modellgröße</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/styling.py" line="63" />
      <source>0 unsure</source>
      <translation>0 unsicher</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/styling.py" line="64" />
      <source>1 confident</source>
      <translation>1 sicher</translation>
    </message>
  </context>
</TS>
