<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
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
      <translation>Connecter le runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="140" />
      <source>Settings…</source>
      <translation>Paramètres…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="148" />
      <source>Imagery</source>
      <translation>Imagerie</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="149" />
      <source>Train</source>
      <translation>Entraîner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="150" />
      <source>Classify</source>
      <translation>Classer</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="151" />
      <source>Export</source>
      <translation>Exporter</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="173" />
      <source>Runner: not installed — open Settings… and click Install runner, or enter a remote runner's URL</source>
      <translation>Runner : non installé — ouvrez Paramètres… et cliquez sur Installer le runner, ou saisissez l'URL d'un runner distant</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="175" />
      <source>Runner: not connected — click Connect runner</source>
      <translation>Runner : non connecté — cliquez sur Connecter le runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="176" />
      <source>Runner: starting…</source>
      <translation>Runner : démarrage…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="177" />
      <source>Runner: connected</source>
      <translation>Runner : connecté</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="178" />
      <source>Runner: failed</source>
      <translation>Runner : échec</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="182" />
      <source>Restart runner</source>
      <translation>Redémarrer le runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="190" />
      <source>Runner</source>
      <translation>Runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="190" />
      <source>the runner is not installed: open Settings… and click Install runner</source>
      <translation>le runner n'est pas installé : ouvrez Paramètres… et cliquez sur Installer le runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="204" />
      <source>the runner could not be started or reached: {reason}</source>
      <translation>le runner n'a pas pu être démarré ni joint : {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="211" />
      <source>OmniSat: connect to the runner</source>
      <translation>OmniSat : connexion au runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="230" />
      <source>Aerial image</source>
      <translation>Image aérienne</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="233" />
      <source>Sentinel-1: one layer per date (date editable)</source>
      <translation>Sentinel-1 : une couche par date (date modifiable)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="234" />
      <source>Sentinel-2: one layer per date (date editable)</source>
      <translation>Sentinel-2 : une couche par date (date modifiable)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="240" />
      <source>Layer names to add, with * as a wildcard</source>
      <translation>Noms des couches à ajouter, * comme joker</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="242" />
      <source>Add matching</source>
      <translation>Ajouter</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="243" />
      <source>Add every raster layer of the project whose name matches the pattern</source>
      <translation>Ajouter chaque couche raster du projet dont le nom correspond au motif</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="245" />
      <source>Clear</source>
      <translation>Vider</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="255" />
      <source>the imagery's common extent</source>
      <translation>l'emprise commune des images</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="265" />
      <source>Extent</source>
      <translation>Emprise</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="270" />
      <source>Patch size</source>
      <translation>Taille des patchs</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="278" />
      <source>Fine-tune on labels</source>
      <translation>Affiner sur des étiquettes</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="291" />
      <source>(from scratch)</source>
      <translation>(à partir de zéro)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="292" />
      <source>Label polygons</source>
      <translation>Polygones étiquetés</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="293" />
      <source>New label layer…</source>
      <translation>Nouvelle couche d'étiquettes…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="296" />
      <source>Class field</source>
      <translation>Champ de classe</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="297" />
      <source>Colour field (optional)</source>
      <translation>Champ de couleur (facultatif)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="298" />
      <source>Start from</source>
      <translation>Partir de</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="299" />
      <source>New model name</source>
      <translation>Nom du nouveau modèle</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="300" />
      <source>Epochs</source>
      <translation>Époques</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="301" />
      <source>Fine-tune</source>
      <translation>Affiner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="306" />
      <source>Pretrain</source>
      <translation>Pré-entraîner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="308" />
      <source>Self-supervised, no labels: teaches the model your imagery before fine-tuning.</source>
      <translation>Auto-supervisé, sans étiquettes : apprend vos images au modèle avant l'affinage.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="317" />
      <source>Size</source>
      <translation>Taille</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="328" />
      <source>Model</source>
      <translation>Modèle</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="329" />
      <source>Refresh model list</source>
      <translation>Actualiser la liste des modèles</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="341" />
      <source>Class map</source>
      <translation>Carte des classes</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="348" />
      <source>Polygons with hectares, an area table and a printable map from a class map.</source>
      <translation>Polygones avec hectares, tableau des surfaces et carte imprimable à partir d'une carte des classes.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="355" />
      <source>Land cover</source>
      <translation>Occupation du sol</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="359" />
      <source>Confidence (optional)</source>
      <translation>Confiance (facultatif)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="360" />
      <source>Title</source>
      <translation>Titre</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="361" />
      <source>Output folder</source>
      <translation>Dossier de sortie</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="365" />
      <source>Double-click a file to open it</source>
      <translation>Double-cliquez sur un fichier pour l'ouvrir</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="370" />
      <source>Files written (double-click to open):</source>
      <translation>Fichiers écrits (double-cliquez pour ouvrir) :</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="407" />
      <source>choose an aerial layer or tick Sentinel-1/2 layers on the Imagery tab</source>
      <translation>choisissez une couche aérienne ou cochez des couches Sentinel-1/2 dans l'onglet Imagerie</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="413" />
      <source>the runner is not connected: click Connect runner at the top of the panel</source>
      <translation>le runner n'est pas connecté : cliquez sur Connecter le runner en haut du panneau</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="414" />
      <source>choose a model (fine-tune one on labels first, Train tab)</source>
      <translation>choisissez un modèle (affinez-en d'abord un sur des étiquettes, onglet Entraîner)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="416" />
      <source>choose where to write the class map</source>
      <translation>choisissez où écrire la carte des classes</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="423" />
      <source>choose a label polygon layer (or create one with New label layer…)</source>
      <translation>choisissez une couche de polygones étiquetés (ou créez-en une avec Nouvelle couche d'étiquettes…)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="425" />
      <source>choose the field of {layer} that holds the class names</source>
      <translation>choisissez le champ de {layer} qui contient les noms de classes</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="427" />
      <source>name the new model</source>
      <translation>nommez le nouveau modèle</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="451" />
      <source>Model list</source>
      <translation>Liste des modèles</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="451" />
      <source>could not list the runner's models: {reason}</source>
      <translation>impossible de lister les modèles du runner : {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="474" />
      <source>OmniSat: list models</source>
      <translation>OmniSat : liste des modèles</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="481" />
      <source>loading {name}…</source>
      <translation>chargement de {name}…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="491" />
      <source>&lt;b&gt;{name}&lt;/b&gt; ({size}, {kind})&lt;br&gt;modalities: {modalities}&lt;br&gt;classes: {classes}&lt;br&gt;validation: OA {oa}, macro F1 {f1}</source>
      <translation>&lt;b&gt;{name}&lt;/b&gt; ({size}, {kind})&lt;br&gt;modalités : {modalities}&lt;br&gt;classes : {classes}&lt;br&gt;validation : précision globale {oa}, F1 macro {f1}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="498" />
      <source>OmniSat: model card</source>
      <translation>OmniSat : fiche du modèle</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="527" />
      <source>a {action} job is already running: wait for it or click its Cancel</source>
      <translation>une tâche « {action} » est déjà en cours : attendez-la ou cliquez sur son Annuler</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="539" />
      <source>{output} is being written by the running {job} job: choose another name or cancel that job</source>
      <translation>{output} est en cours d'écriture par la tâche « {job} » : choisissez un autre nom ou annulez cette tâche</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="553" />
      <source>{action} cancelled</source>
      <translation>{action} annulé</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="559" />
      <source>failed: {reason}</source>
      <translation>échec : {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="565" />
      <source>model {name} saved</source>
      <translation>modèle {name} enregistré</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="567" />
      <source> — validation OA {oa:.3f}, macro F1 {f1:.3f}</source>
      <translation> — validation : précision globale {oa:.3f}, F1 macro {f1:.3f}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="581" />
      <source>class map written to {path}</source>
      <translation>carte des classes écrite dans {path}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="589" />
      <source>Export map</source>
      <translation>Exporter la carte</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="591" />
      <source>an export is already running: wait for it or click its Cancel</source>
      <translation>un export est déjà en cours : attendez-le ou cliquez sur son Annuler</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="595" />
      <source>choose a class map layer (classify first, or add one to the project)</source>
      <translation>choisissez une couche de carte des classes (classez d'abord, ou ajoutez-en une au projet)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="599" />
      <source>choose an output folder for the export</source>
      <translation>choisissez un dossier de sortie pour l'export</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="619" />
      <source>Classes</source>
      <translation>Classes</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="622" />
      <source>the map could not be printed: {reason}</source>
      <translation>la carte n'a pas pu être imprimée : {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="626" />
      <source>export written to {folder}</source>
      <translation>export écrit dans {folder}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="629" />
      <source>OmniSat: export map</source>
      <translation>OmniSat : export de la carte</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="650" />
      <source>New label layer</source>
      <translation>Nouvelle couche d'étiquettes</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="673" />
      <source>classes ({model})</source>
      <translation>classes ({model})</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/dock.py" line="679" />
      <source>confidence</source>
      <translation>confiance</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/jobs.py" line="26" />
      <source>Cancel</source>
      <translation>Annuler</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/series_table.py" line="23" />
      <source>use</source>
      <translation>util.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/series_table.py" line="23" />
      <source>layer</source>
      <translation>couche</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/series_table.py" line="23" />
      <source>date</source>
      <translation>date</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/series_table.py" line="24" />
      <source>YYYY-MM-DD; double-click to edit</source>
      <translation>AAAA-MM-JJ ; double-cliquez pour modifier</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="100" />
      <source>Remote runner token</source>
      <translation>Jeton du runner distant</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="101" />
      <source>Device</source>
      <translation>Processeur</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="103" />
      <source>Runner: checking…</source>
      <translation>Runner : vérification…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="104" />
      <source>Install: looking for a Python and a GPU…</source>
      <translation>Installation : recherche d'un Python et d'un GPU…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="109" />
      <source>Test runner</source>
      <translation>Tester le runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="109" />
      <source>Copy diagnostics</source>
      <translation>Copier les diagnostics</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="110" />
      <source>Install runner</source>
      <translation>Installer le runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="139" />
      <source>Runner: not installed — click Install runner, or enter a remote URL</source>
      <translation>Runner : non installé — cliquez sur Installer le runner, ou saisissez une URL distante</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="147" />
      <source>Runner: not running ({reason}); it starts when the panel connects</source>
      <translation>Runner : arrêté ({reason}) ; il démarre quand le panneau se connecte</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="150" />
      <source>Runner: {version} on {device} (torch {torch}, path access {paths})</source>
      <translation>Runner : {version} sur {device} (torch {torch}, accès aux chemins {paths})</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="154" />
      <source>OmniSat: runner health</source>
      <translation>OmniSat : état du runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="159" />
      <source>Install: probe failed: {reason}</source>
      <translation>Installation : échec de la détection : {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="163" />
      <source>Install: no usable Python 3.10+ found: {reason}</source>
      <translation>Installation : aucun Python 3.10+ utilisable trouvé : {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="166" />
      <source>Install would use {python} and PyTorch {build} ({reason})</source>
      <translation>L'installation utiliserait {python} et PyTorch {build} ({reason})</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="169" />
      <source>OmniSat: probe Python and GPU</source>
      <translation>OmniSat : détection de Python et du GPU</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="179" />
      <source>The token could not be stored in QGIS's authentication database (master password not set?): it is used for this session only.</source>
      <translation>Le jeton n'a pas pu être enregistré dans la base d'authentification de QGIS (mot de passe principal non défini ?) : il ne sert que pour cette session.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="186" />
      <source>OmniSat: stop the previous runner</source>
      <translation>OmniSat : arrêt du runner précédent</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="193" />
      <source>Testing the runner…</source>
      <translation>Test du runner…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="197" />
      <source>not reachable: {reason}</source>
      <translation>injoignable : {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="199" />
      <source>runner {version} on {device} (torch {torch}, protocol {protocol}, path access {paths})</source>
      <translation>runner {version} sur {device} (torch {torch}, protocole {protocol}, accès aux chemins {paths})</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="202" />
      <source> — running a tiny classification…</source>
      <translation> — petite classification de test en cours…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="206" />
      <source>selftest failed: {reason}</source>
      <translation>échec de l'autotest : {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="209" />
      <source>selftest passed: tiny scene trained in {train} s and classified in {classify} s</source>
      <translation>autotest réussi : petite scène entraînée en {train} s et classée en {classify} s</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="217" />
      <source>OmniSat: test runner</source>
      <translation>OmniSat : test du runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="237" />
      <source>Diagnostics failed: {reason}</source>
      <translation>Échec des diagnostics : {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="240" />
      <source>Diagnostics copied to the clipboard (paths and tokens redacted).</source>
      <translation>Diagnostics copiés dans le presse-papiers (chemins et jetons masqués).</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="242" />
      <source>Collecting diagnostics…</source>
      <translation>Collecte des diagnostics…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="243" />
      <source>OmniSat: diagnostics</source>
      <translation>OmniSat : diagnostics</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="252" />
      <source>Still looking for a Python and a GPU: try again in a moment.</source>
      <translation>Recherche d'un Python et d'un GPU en cours : réessayez dans un instant.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="255" />
      <source>No usable Python 3.10+ found: {reason}</source>
      <translation>Aucun Python 3.10+ utilisable trouvé : {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="259" />
      <source>The runner package was not found next to the plugin; see docs/install.md</source>
      <translation>Le paquet du runner est introuvable à côté de l'extension ; voir docs/install.md</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="262" />
      <source>Installing the runner with PyTorch {build} ({reason})…</source>
      <translation>Installation du runner avec PyTorch {build} ({reason})…</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="270" />
      <source>Runner installed: {info}</source>
      <translation>Runner installé : {info}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="272" />
      <source>Install failed: {reason}</source>
      <translation>Échec de l'installation : {reason}</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="76" />
      <source>OmniSat settings</source>
      <translation>Paramètres OmniSat</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="90" />
      <source>empty: a local runner started by the plugin; or https://gpu-server:8443</source>
      <translation>vide : un runner local démarré par l'extension ; ou https://serveur-gpu:8443</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="93" />
      <source>Kept in QGIS's encrypted authentication database</source>
      <translation>Conservé dans la base d'authentification chiffrée de QGIS</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="97" />
      <source>Runner Python</source>
      <translation>Python du runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="98" />
      <source>Runner home</source>
      <translation>Dossier du runner</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/gui/settings_dialog.py" line="99" />
      <source>Remote runner URL</source>
      <translation>URL du runner distant</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="50" />
      <source>Aerial image (3-5 bands: R, G, B, NIR, elevation)</source>
      <translation>Image aérienne (3 à 5 bandes : R, V, B, PIR, altitude)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="52" />
      <source>Sentinel-1 series (one raster per date, VV and VH; dates from the names)</source>
      <translation>Série Sentinel-1 (un raster par date, VV et VH ; dates tirées des noms)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="55" />
      <source>Sentinel-2 series (one raster per date, 10 bands; dates from the names)</source>
      <translation>Série Sentinel-2 (un raster par date, 10 bandes ; dates tirées des noms)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="58" />
      <source>Extent (default: the imagery's common extent)</source>
      <translation>Emprise (par défaut : l'emprise commune des images)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="60" />
      <source>Patch size (m)</source>
      <translation>Taille des patchs (m)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/base.py" line="63" />
      <source>Precision</source>
      <translation>Précision numérique</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/classify_extent.py" line="21" />
      <source>Classify extent</source>
      <translation>Classer l'emprise</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/classify_extent.py" line="24" />
      <source>Runs a fine-tuned OmniSat model of the runner over the extent and writes a class map (GeoTIFF, one value per class, names and colours embedded, .qml style beside it) and a confidence raster (0–1, `_confidence.tif`). Any subset of the model's modalities may be given. Parameters: aerial image; Sentinel-1 and Sentinel-2 series (one raster per date, the date in the layer name, e.g. S2_20200315); extent (any CRS); patch size; device; precision (advanced: auto runs base models in bf16 where that is faster with the same accuracy, on GPUs and CPUs with AVX512-BF16 or AMX; fp32 gives the same map on every machine); MODEL: the name of a classifier listed by the runner; OUTPUT: the class map file.</source>
      <translation>Applique un modèle OmniSat affiné du runner à l'emprise et écrit une carte des classes (GeoTIFF, une valeur par classe, noms et couleurs inclus, style .qml à côté) et un raster de confiance (0–1, `_confidence.tif`). Tout sous-ensemble des modalités du modèle peut être fourni. Paramètres : image aérienne ; séries Sentinel-1 et Sentinel-2 (un raster par date, la date dans le nom de la couche, p. ex. S2_20200315) ; emprise (tout SCR) ; taille des patchs ; processeur ; précision numérique (avancé : auto exécute les modèles base en bf16 là où c'est plus rapide à précision égale, sur GPU et sur les CPU avec AVX512-BF16 ou AMX ; fp32 donne la même carte sur toutes les machines) ; MODEL : le nom d'un classifieur listé par le runner ; OUTPUT : le fichier de la carte des classes.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/classify_extent.py" line="35" />
      <source>Model (a fine-tuned classifier)</source>
      <translation>Modèle (un classifieur affiné)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/classify_extent.py" line="37" />
      <source>Confidence</source>
      <translation>Confiance</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="21" />
      <source>Export map for foresters</source>
      <translation>Exporter la carte pour les forestiers</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="33" />
      <source>From an OmniSat class map: a GeoPackage of class polygons (class, area_ha, mean_confidence; patches smaller than two cells merged), a per-class area table in hectares and percent (CSV and HTML), and a printable A4 map (PDF and PNG) with title, legend, scale bar, north arrow, CRS, date and model name.</source>
      <translation>À partir d'une carte des classes OmniSat : un GeoPackage de polygones par classe (classe, area_ha, mean_confidence ; îlots de moins de deux cellules fusionnés), un tableau des surfaces par classe en hectares et en pourcentage (CSV et HTML), et une carte A4 imprimable (PDF et PNG) avec titre, légende, barre d'échelle, flèche du nord, SCR, date et nom du modèle.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="40" />
      <source>Confidence raster</source>
      <translation>Raster de confiance</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="41" />
      <source>Map title</source>
      <translation>Titre de la carte</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="42" />
      <source>Model name (printed on the map)</source>
      <translation>Nom du modèle (imprimé sur la carte)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="45" />
      <source>Polygons</source>
      <translation>Polygones</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="45" />
      <source>Area table (CSV)</source>
      <translation>Tableau des surfaces (CSV)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="46" />
      <source>Area report (HTML)</source>
      <translation>Rapport des surfaces (HTML)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="46" />
      <source>Map (PDF)</source>
      <translation>Carte (PDF)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/export_map.py" line="47" />
      <source>Map (PNG)</source>
      <translation>Carte (PNG)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/finetune.py" line="28" />
      <source>Trains a per-patch classifier from labelled polygons. LABELS: a polygon layer saved to a file (GeoPackage, Shapefile, GeoJSON) in any CRS; CLASS_FIELD: its class (text or integer); COLOR_FIELD: optional #rrggbb colours; BASE_MODEL: a pretrained model (empty: from scratch). Validation uses spatially disjoint blocks; per-class F1 and the confusion matrix are in the log and the model card.</source>
      <translation>Entraîne un classifieur par patch à partir de polygones étiquetés. LABELS : une couche de polygones enregistrée dans un fichier (GeoPackage, Shapefile, GeoJSON) dans tout SCR ; CLASS_FIELD : sa classe (texte ou entier) ; COLOR_FIELD : couleurs #rrggbb facultatives ; BASE_MODEL : un modèle pré-entraîné (vide : à partir de zéro). La validation utilise des blocs spatialement disjoints ; le F1 par classe et la matrice de confusion figurent dans le journal et la fiche du modèle.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/finetune.py" line="40" />
      <source>Colour field</source>
      <translation>Champ de couleur</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/finetune.py" line="42" />
      <source>Pretrained model (empty: from scratch)</source>
      <translation>Modèle pré-entraîné (vide : à partir de zéro)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/finetune.py" line="46" />
      <source>Model size (from scratch)</source>
      <translation>Taille du modèle (à partir de zéro)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/pretrain.py" line="23" />
      <source>Pretrain (self-supervised)</source>
      <translation>Pré-entraîner (auto-supervisé)</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/pretrain.py" line="26" />
      <source>Pretrains OmniSat on the imagery itself with its contrastive and masked-reconstruction losses; no labels are needed. The model is saved by the runner under MODEL_NAME (replacing a model of that name only when training completes) and can then be fine-tuned on labels. SIZE: base (the paper's model; a GPU helps) or tiny (fast on a CPU). EPOCHS: passes over the extent.</source>
      <translation>Pré-entraîne OmniSat sur les images elles-mêmes avec ses pertes contrastive et de reconstruction masquée ; aucune étiquette n'est nécessaire. Le modèle est enregistré par le runner sous MODEL_NAME (un modèle de ce nom n'est remplacé que lorsque l'entraînement se termine) et peut ensuite être affiné sur des étiquettes. SIZE : base (le modèle de l'article ; un GPU aide) ou tiny (rapide sur un CPU). EPOCHS : passages sur l'emprise.</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/processing/pretrain.py" line="35" />
      <source>Model size</source>
      <translation>Taille du modèle</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/styling.py" line="63" />
      <source>0 unsure</source>
      <translation>0 incertain</translation>
    </message>
    <message>
      <location filename="../../omnisat_qgis/styling.py" line="64" />
      <source>1 confident</source>
      <translation>1 sûr</translation>
    </message>
  </context>
</TS>
