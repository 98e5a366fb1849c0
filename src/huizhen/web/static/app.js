/* huizhen doctor's page: enter a case, refine the differential, decide, give feedback.
   Plain JS, no framework; every clinical word comes from the server's report. */
"use strict";
(function () {
  const T = {
    zh: {
      skip: "跳到病例", tagline: "临床决策支持：鉴别诊断、下一步问诊、用药安全、引用来源",
      apiKey: "API 密钥", apiKeyHelp: "管理员为本科室发放的密钥，仅保存在此浏览器标签页中",
      langSwitch: "English", case: "病例", tabNote: "病历文本", tabForm: "表单", tabUpload: "上传文件",
      noteLabel: "病历（中文或英文，粘贴或输入）",
      notePlaceholder: "例如：男，68岁，发热3天，咳嗽，咳黄痰。正在服用华法林 3mg qd。",
      patient: "患者", age: "年龄（岁）", sex: "性别", unknown: "未知", female: "女", male: "男",
      other: "其他", pregnant: "妊娠", findings: "症状与体征", addFinding: "添加一项",
      findingLabel: "症状或体征", present: "有", absent: "无", remove: "删除",
      vitals: "生命体征", temperature: "体温 °C", heartRate: "心率 /分", respRate: "呼吸 /分",
      bp: "血压 mmHg", spo2: "血氧 %", weight: "体重 kg", labs: "化验", creatinine: "肌酐 µmol/L",
      potassium: "血钾 mmol/L", hemoglobin: "血红蛋白 g/dL", glucose: "血糖 mmol/L",
      meds: "正在服用的药物（每行一个）", allergies: "过敏（每行一个）", formNote: "补充说明（可选）",
      fileLabel: "FHIR R4 Bundle、Phenopacket 或病例文件（JSON / YAML）",
      proposed: "拟用药物（每行一个，将做安全检查）", run: "会诊", running: "会诊中…", newCase: "新病例", confirmNew: "清空当前病例、已回答的问题和结果，开始新病例？",
      results: "会诊结果", intake: "识别到的病情", ddx: "鉴别诊断", questions: "下一步问诊",
      alerts: "用药警示", treatments: "治疗选项", citations: "引用来源", decision: "医生的判断",
      workingDx: "工作诊断", setWorking: "设为工作诊断", decisionText: "处理决定（检查、用药、转诊…）", record: "记录",
      notes: "说明", close: "关闭",
      disclaimer: "会诊（huizhen）仅辅助而不替代医生的临床判断；所有建议须结合患者情况并核对所引来源。",
      format: "输入格式", formats: {text: "病历文本", case: "表单 / 病例文件", fhir: "FHIR R4 Bundle", phenopacket: "Phenopacket"},
      excluded: "已排除", conditions: "既往疾病", medications: "用药", derived: "推算",
      none: "无", unparsed: "未能识别的内容（请核对）：",
      evidenceFor: "支持", evidenceAgainst: "不支持", evidence: "依据", engines: "引擎",
      engine: {common: "常见病模型", rare: "罕见病表型引擎"}, cannotMiss: "不可漏诊",
      moreDx: "其余 {n} 个可能性低于 1% 的诊断", noDdx: "暂无鉴别诊断：请补充症状或回答下面的问题。", yes: "是", no: "否", answer: "回答",
      redFlag: "危险信号", about: "排查", answered: "已回答", removeAnswer: "删除回答",
      noQuestions: "没有需要追问的问题。", noAlerts: "未发现用药风险。",
      unchecked: "未能检查的药物：", management: "处理建议", severities: {contraindicated: "禁忌", major: "严重", moderate: "中等", minor: "轻微"}, source: "来源", severity: "严重程度",
      accept: "接受", override: "不采纳", reason: "理由", comment: "备注（可选）",
      recordDecision: "记录决定", recorded: "已记录到审计日志", chooseReason: "请选择不采纳的理由",
      chooseOutcome: "请选择接受或不采纳",
      reasons: {"benefit-outweighs-risk": "获益大于风险", "tolerated-before": "患者既往已耐受",
        "will-monitor": "将密切监测", "not-relevant": "与该患者情况不符", "other": "其他"},
      noTreatments: "暂无治疗选项（知识库中没有前几位诊断的治疗卡片）。", safe: "未发现风险",
      unsafe: "有用药风险", caution: "有注意事项", lines: {"first-line": "一线", alternative: "备选", protocol: "本院方案"}, dose: "剂量", noCitations: "知识库中没有相关段落。",
      open: "打开原文", openSource: "在新窗口打开来源", scopeLocal: "本院文档", scopePublic: "公开文档",
      needDx: "请填写工作诊断", done: "完成，用时 {ms} 毫秒", versions: "知识版本",
      needKey: "请先填写 API 密钥（向管理员索取）。", noFile: "请先选择要上传的文件。",
      tooBig: "文件太大（{size}），上限约 {max}。", badKey: "API 密钥缺失或无效：{msg}",
      network: "无法连接会诊服务（网络错误）。已输入的内容均已保留，请检查网络后重试。",
      timeout: "会诊服务 {s} 秒内没有响应。已输入的内容均已保留，请稍后重试。",
      inputErr: "无法读取病例：{msg}", formatErr: "文件格式不支持：{msg}", sizeErr: "内容太大：{msg}",
      serverErr: "服务出错：{msg}", otherErr: "请求失败（{status}）：{msg}",
      passageErr: "无法打开原文：{msg}", feedbackErr: "记录失败：{msg}",
    },
    en: {
      skip: "Skip to the case", tagline: "Clinical decision support: differential, next questions, medication safety, cited sources",
      apiKey: "API key", apiKeyHelp: "The key your administrator gave your ward; kept in this browser tab only",
      langSwitch: "中文", case: "Case", tabNote: "Note", tabForm: "Form", tabUpload: "Upload",
      noteLabel: "Clinical note (Chinese or English, paste or type)",
      notePlaceholder: "e.g. 68-year-old man, fever for 3 days, productive cough. Takes warfarin 3 mg daily.",
      patient: "Patient", age: "Age (years)", sex: "Sex", unknown: "Unknown", female: "Female",
      male: "Male", other: "Other", pregnant: "Pregnant", findings: "Symptoms and signs",
      addFinding: "Add a finding", findingLabel: "Symptom or sign", present: "Present",
      absent: "Absent", remove: "Remove", vitals: "Vital signs", temperature: "Temperature °C",
      heartRate: "Heart rate /min", respRate: "Resp. rate /min", bp: "Blood pressure mmHg",
      spo2: "SpO₂ %", weight: "Weight kg", labs: "Labs", creatinine: "Creatinine µmol/L",
      potassium: "Potassium mmol/L", hemoglobin: "Haemoglobin g/dL", glucose: "Glucose mmol/L",
      meds: "Current medications (one per line)", allergies: "Allergies (one per line)",
      formNote: "Additional note (optional)",
      fileLabel: "FHIR R4 Bundle, phenopacket or case file (JSON / YAML)",
      proposed: "Drugs you plan to give (one per line; safety-checked)", run: "Consult",
      newCase: "New case", confirmNew: "Clear this case, its answers and results, and start a new one?",
      running: "Consulting…", results: "Consult", intake: "What was understood",
      ddx: "Differential diagnosis", questions: "Ask next", alerts: "Medication alerts",
      treatments: "Treatment options", citations: "Sources", decision: "Your decision",
      workingDx: "Working diagnosis", setWorking: "Set as working diagnosis", decisionText: "Decision (tests, treatment, referral…)",
      record: "Record", notes: "Notes", close: "Close",
      disclaimer: "huizhen supports, and does not replace, the doctor's judgement. Every suggestion must be checked against the patient and the cited sources.",
      format: "Input", formats: {text: "note", case: "form / case file", fhir: "FHIR R4 Bundle", phenopacket: "phenopacket"},
      excluded: "Excluded", conditions: "Conditions", medications: "Medications",
      derived: "Derived", none: "none", unparsed: "Not understood (please check):",
      evidenceFor: "For", evidenceAgainst: "Against", evidence: "Evidence", engines: "Engine",
      engine: {common: "common-disease model", rare: "rare-disease phenotype engine"},
      cannotMiss: "cannot miss", moreDx: "{n} more diagnoses under 1%", noDdx: "No differential yet: add findings or answer the questions below.",
      yes: "Yes", no: "No", answer: "Answer", redFlag: "red flag", about: "rules in/out",
      answered: "Answered", removeAnswer: "Remove answer", noQuestions: "No further questions.",
      noAlerts: "No medication risk found.", unchecked: "Drugs that could not be checked: ",
      management: "Management", source: "Source", severity: "Severity", accept: "Accept",
      override: "Override", reason: "Reason", comment: "Comment (optional)",
      recordDecision: "Record decision", recorded: "Recorded in the audit log",
      chooseReason: "Choose a reason for overriding", chooseOutcome: "Choose accept or override",
      reasons: {"benefit-outweighs-risk": "Benefit outweighs risk", "tolerated-before": "Patient has tolerated it before",
        "will-monitor": "Will monitor closely", "not-relevant": "Not relevant to this patient", "other": "Other"},
      noTreatments: "No treatment options (the knowledge base has no treatment card for the leading diagnoses).",
      safe: "no risk found", unsafe: "medication risk", caution: "use with care", dose: "Dose",
      noCitations: "No passage in the knowledge base.", open: "Open source text",
      openSource: "Open the source in a new window", scopeLocal: "hospital document",
      scopePublic: "public document", needDx: "Enter your working diagnosis",
      done: "Done in {ms} ms", versions: "Knowledge",
      needKey: "Enter the API key first (ask your administrator).",
      noFile: "Choose a file to upload first.", tooBig: "The file is too large ({size}); the limit is about {max}.",
      badKey: "API key missing or not accepted: {msg}",
      network: "Cannot reach the huizhen service (network error). Everything you entered is kept; check the connection and try again.",
      timeout: "The huizhen service did not answer within {s} s. Everything you entered is kept; try again.",
      inputErr: "The case could not be read: {msg}", formatErr: "Unsupported file: {msg}",
      sizeErr: "Too large: {msg}", serverErr: "Server error: {msg}",
      otherErr: "Request failed ({status}): {msg}", passageErr: "Cannot open the source: {msg}",
      feedbackErr: "Could not record: {msg}",
    },
  };
  const REASON_EN = T.en.reasons;
  const TIMEOUT_S = 20;
  const MAX_FILE = 2000000;
  const $ = (id) => document.getElementById(id);
  const state = {lang: "zh", tab: "note", answers: [], last: null, fileText: null, fileName: null, decided: {}, keyRequired: true};
  const store = window.sessionStorage;

  function t(key, vars) {
    let s = T[state.lang][key];
    if (s === undefined) s = T.en[key] || key;
    for (const k in vars || {}) s = s.replace("{" + k + "}", vars[k]);
    return s;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "class") e.className = attrs[k];
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  /* ---- language ---- */
  function applyLang() {
    document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
    for (const e of document.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
    for (const e of document.querySelectorAll("[data-i18n-placeholder]")) e.placeholder = t(e.dataset.i18nPlaceholder);
    const sw = $("lang-switch");
    sw.textContent = t("langSwitch");
    sw.lang = state.lang === "zh" ? "en" : "zh-CN";
    for (const row of document.querySelectorAll("#finding-rows li")) labelFindingRow(row);
  }

  /* ---- tabs (WAI-ARIA tabs: arrows move, Enter/Space or click selects) ---- */
  const TABS = ["note", "form", "upload"];
  function selectTab(name, focus) {
    state.tab = name;
    for (const n of TABS) {
      const tab = $("tab-" + n), on = n === name;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      $("pane-" + n).hidden = !on;
    }
    if (focus) $("tab-" + name).focus();
    store.setItem("hz.tab", name);
  }

  /* ---- form: findings rows ---- */
  let rowSeq = 0;
  function labelFindingRow(row) {
    row.querySelector("label.f-label").textContent = t("findingLabel");
    row.querySelector("label.f-state").textContent = t("present") + " / " + t("absent");
    const sel = row.querySelector("select");
    sel.options[0].textContent = t("present");
    sel.options[1].textContent = t("absent");
    row.querySelector("button").textContent = t("remove");
  }
  function addFindingRow(label, present, focus) {
    const n = ++rowSeq;
    const input = el("input", {id: "finding-" + n, type: "text", class: "finding-label", value: label || ""});
    const sel = el("select", {id: "finding-state-" + n}, el("option", {value: "yes"}), el("option", {value: "no"}));
    sel.value = present === false ? "no" : "yes";
    const row = el("li", {},
      el("div", {class: "grow"}, el("label", {class: "f-label", for: input.id}), input),
      el("div", {}, el("label", {class: "f-state", for: sel.id}), sel),
      el("button", {type: "button", class: "secondary small", onclick: () => { row.remove(); saveDraft(); $("add-finding").focus(); }}));
    $("finding-rows").append(row);
    labelFindingRow(row);
    if (focus) input.focus();
  }

  /* ---- drafts: nothing typed is lost on an error or a reload ---- */
  function saveDraft() {
    const d = {};
    for (const e of document.querySelectorAll("[data-keep]")) d[e.id] = e.type === "checkbox" ? e.checked : e.value;
    d.findings = [...document.querySelectorAll("#finding-rows li")].map((r) => [r.querySelector("input").value, r.querySelector("select").value === "yes"]);
    d.answers = state.answers;
    store.setItem("hz.draft", JSON.stringify(d));
  }
  function restoreDraft() {
    let d = null;
    try { d = JSON.parse(store.getItem("hz.draft") || "null"); } catch (e) { d = null; }
    for (const [label, present] of (d && d.findings) || [["", true]]) addFindingRow(label, present, false);
    if (!d) return;
    for (const e of document.querySelectorAll("[data-keep]")) {
      if (!(e.id in d)) continue;
      if (e.type === "checkbox") e.checked = !!d[e.id]; else e.value = d[e.id];
    }
    state.answers = Array.isArray(d.answers) ? d.answers : [];
  }

  /* ---- building the request ---- */
  function lines(id) { return $(id).value.split(/\n|;|；/).map((s) => s.trim()).filter(Boolean); }
  function num(id) { const v = $(id).value.trim(); return v === "" ? null : Number(v); }
  function caseFromForm() {
    const c = {};
    if (num("f-age") !== null) c.age = num("f-age");
    if ($("f-sex").value) c.sex = $("f-sex").value;
    if ($("f-pregnant").checked) c.pregnant = true;
    const findings = [];
    for (const r of document.querySelectorAll("#finding-rows li")) {
      const label = r.querySelector("input").value.trim();
      if (label) findings.push({label: label, present: r.querySelector("select").value === "yes"});
    }
    if (findings.length) c.findings = findings;
    const vitals = {};
    for (const k of ["temperature", "heart_rate", "respiratory_rate", "spo2", "weight"]) if (num("v-" + k) !== null) vitals[k] = num("v-" + k);
    if ($("v-bp").value.trim()) vitals.bp = $("v-bp").value.trim();
    if (Object.keys(vitals).length) c.vitals = vitals;
    const labs = {};
    if (num("l-creatinine") !== null) labs.creatinine = {value: num("l-creatinine"), unit: "umol/L"};
    if (num("l-potassium") !== null) labs.potassium = {value: num("l-potassium"), unit: "mmol/L"};
    if (num("l-hemoglobin") !== null) labs.hemoglobin = {value: num("l-hemoglobin"), unit: "g/dL"};
    if (num("l-glucose") !== null) labs.glucose = {value: num("l-glucose"), unit: "mmol/L"};
    if (Object.keys(labs).length) c.labs = labs;
    if (lines("f-meds").length) c.medications = lines("f-meds");
    if (lines("f-allergies").length) c.allergies = lines("f-allergies");
    if ($("f-note").value.trim()) c.note = $("f-note").value.trim();
    return c;
  }
  function buildBody() {
    const body = {answers: state.answers.map((a) => ({code: a.code, present: a.present, value: a.value})),
      proposed: lines("proposed"), lang: state.lang};
    if (state.tab === "note") body.text = $("note").value;
    else if (state.tab === "form") body.case = caseFromForm();
    else {
      if (state.fileText === null) throw new UserError(t("noFile"), "file");
      body.document = state.fileText;
      body.filename = state.fileName;
    }
    return body;
  }
  function UserError(message, focusId) { this.message = message; this.focusId = focusId; }

  /* ---- talking to the service ---- */
  async function call(method, path, body) {
    const key = $("api-key").value.trim();
    if (!key && state.keyRequired) throw new UserError(t("needKey"), "api-key");
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), TIMEOUT_S * 1000);
    let resp;
    try {
      resp = await fetch(path, {method: method, signal: ctl.signal, headers: Object.assign(key ? {"X-API-Key": key} : {}, {"Accept": "application/json"},
        body ? {"Content-Type": "application/json"} : {}), body: body ? JSON.stringify(body) : undefined});
    } catch (e) {
      throw new UserError(e.name === "AbortError" ? t("timeout", {s: TIMEOUT_S}) : t("network"));
    } finally { clearTimeout(timer); }
    let data = null;
    try { data = await resp.json(); } catch (e) { data = null; }
    if (resp.ok) return data;
    const err = (data && data.error) || {message: resp.statusText || String(resp.status)};
    const msg = err.message;
    const s = resp.status;
    const text = s === 401 || s === 403 ? t("badKey", {msg: msg}) : s === 415 ? t("formatErr", {msg: msg})
      : s === 413 ? t("sizeErr", {msg: msg}) : s === 400 || s === 422 ? t("inputErr", {msg: msg})
      : s >= 500 ? t("serverErr", {msg: msg}) : t("otherErr", {status: s, msg: msg});
    throw new UserError(text, s === 401 || s === 403 ? "api-key" : fieldInput(err.field || ""));
  }
  function fieldInput(field) {
    if (field.startsWith("document")) return "file";
    if (field === "text") return "note";
    const m = field.match(/^case\.?(.*)$/);
    if (m) {
      const e = document.querySelector('[data-field="case.' + m[1] + '"]');
      return e ? e.id : "tab-form";
    }
    return null;
  }

  function showError(err) {
    const box = $("error");
    box.textContent = err.message;
    box.hidden = false;
    for (const e of document.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
    if (err.focusId && $(err.focusId)) {
      const f = $(err.focusId);
      f.setAttribute("aria-invalid", "true");
      f.setAttribute("aria-errormessage", "error");
      f.focus();
    } else box.focus();
  }
  function clearError() {
    $("error").hidden = true;
    $("error").textContent = "";
    for (const e of document.querySelectorAll("[aria-invalid]")) e.removeAttribute("aria-invalid");
  }

  async function runConsult() {
    clearError();
    const started = performance.now();
    $("run").disabled = true;
    $("status").textContent = t("running");
    try {
      const data = await call("POST", "/v1/consult", buildBody());
      state.last = data;
      render(data);
      const ms = Math.round(performance.now() - started);
      $("status").textContent = t("done", {ms: ms});
      $("status").dataset.ms = String(ms);
    } catch (err) {
      $("status").textContent = "";
      if (err instanceof UserError) showError(err); else showError({message: String(err)});
    } finally {
      $("run").disabled = false;
    }
  }

  /* ---- rendering the report ---- */
  function pct(p) { return p >= 0.995 ? "99%" : p < 0.001 ? "<0.1%" : (p * 100).toFixed(p < 0.1 ? 1 : 0) + "%"; }
  function dxName(d) { return state.lang === "zh" && d.name_zh ? d.name_zh : d.name; }
  function dxAlt(d) { return state.lang === "zh" ? (d.name_zh ? d.name : null) : d.name_zh; }
  function fill(id, ...nodes) { const e = $(id); e.replaceChildren(...nodes); return e; }
  function list(items, cls) { return items.length ? el("ul", {class: cls || "plain"}, ...items.map((x) => el("li", {text: x}))) : el("span", {class: "muted", text: t("none")}); }

  function render(data) {
    const r = data.report, i = data.intake;
    $("results").hidden = false;
    const facts = [
      [t("format"), (T[state.lang].formats[data.format] || data.format)],
      [t("age") + " / " + t("sex"), (i.age === null ? "?" : i.age) + " / " + t(i.sex) + (i.pregnant ? " · " + t("pregnant") : "")],
      [t("findings"), list(i.findings)], [t("excluded"), list(i.excluded)],
      [t("conditions"), list(i.conditions)], [t("medications"), list(i.medications)],
      [t("allergies").replace(/（.*|\(.*/, ""), list(i.allergies)],
      [t("derived"), list(Object.entries(i.derived).map(([k, v]) => k + ": " + (typeof v === "number" ? Math.round(v * 10) / 10 : v)))],
    ];
    fill("intake", ...facts.flatMap(([k, v]) => [el("dt", {text: k}), el("dd", {}, v)]));
    const un = $("unparsed");
    un.hidden = !i.unparsed.length;
    un.replaceChildren(el("strong", {text: t("unparsed")}), list(i.unparsed));

    // Likely diagnoses in full; the long tail (under 1%) folded, still one click away.
    const shown = r.differential.filter((d, k) => k < 3 || d.probability >= 0.01 || d.cannot_miss).length;
    const items = r.differential.map(renderDx);
    fill("ddx", ...(items.length ? items.slice(0, shown) : [el("li", {class: "muted", text: t("noDdx")})]));
    $("ddx-more").hidden = items.length <= shown;
    $("ddx-more-label").textContent = t("moreDx", {n: items.length - shown});
    fill("ddx-rest", el("ol", {class: "ddx", start: String(shown + 1)}, ...items.slice(shown)));
    fill("ddx-names", ...r.differential.map((d) => el("option", {value: dxName(d)})));
    fill("answered", ...data.answers.map(renderAnswered));
    $("answered").setAttribute("aria-label", t("answered"));
    fill("questions", ...(r.questions.length ? r.questions.map(renderQuestion) : [el("li", {class: "muted", text: t("noQuestions")})]));
    const alerts = r.alerts.map(renderAlert);
    if (!alerts.length) alerts.push(el("p", {class: "muted", text: t("noAlerts")}));
    if (r.unchecked_drugs.length) alerts.push(el("p", {class: "warn", text: t("unchecked") + r.unchecked_drugs.join(", ")}));
    fill("alerts", ...alerts);
    fill("treatments", ...(r.treatments.length ? r.treatments.map(renderTreatment) : [el("p", {class: "muted", text: t("noTreatments")})]));
    fill("citations", ...(r.citations.length ? r.citations.map(renderCitation) : [el("li", {class: "muted", text: t("noCitations")})]));
    fill("notes", ...r.notes.map((n) => el("li", {text: n})));
    $("versions").textContent = t("versions") + ": " + Object.entries(r.knowledge).map(([k, v]) => k + " " + v).join(" · ");
    $("disclaimer").textContent = r.disclaimer;
    $("decision-status").textContent = "";
  }

  function renderDx(d, idx) {
    const head = el("div", {class: "dx-head"},
      el("span", {class: "dx-name", text: (idx + 1) + ". " + dxName(d)}),
      dxAlt(d) ? el("span", {class: "muted", lang: state.lang === "zh" ? "en" : "zh-CN", text: dxAlt(d)}) : null,
      d.cannot_miss ? el("span", {class: "badge danger", text: t("cannotMiss")}) : null,
      d.severity ? el("span", {class: "badge", text: d.severity}) : null);
    const prob = el("div", {class: "prob"},
      el("meter", {min: "0", max: "1", value: String(d.probability), "aria-label": dxName(d)}),
      el("span", {class: "pct", text: pct(d.probability)}),
      el("span", {class: "muted small", text: t("engines") + ": " + d.engines.map((e) => (T[state.lang].engine[e] || e)).join(" + ")}));
    const ev = (items) => items.map((e) => e.label + (e.weight ? " (LR " + (Math.round(e.weight * 100) / 100) + ")" : ""));
    const details = el("details", {},
      el("summary", {text: t("evidence")}),
      el("div", {class: "cols"},
        el("div", {}, el("strong", {text: t("evidenceFor")}), list(ev(d.evidence_for))),
        el("div", {}, el("strong", {text: t("evidenceAgainst")}), list(ev(d.evidence_against)))));
    const pick = el("button", {type: "button", class: "secondary small pick", text: t("setWorking"),
      "aria-label": t("setWorking") + ": " + dxName(d),
      onclick: () => { $("working-dx").value = dxName(d); $("decision-text").focus(); }});
    return el("li", {class: d.cannot_miss ? "dx cannot-miss" : "dx", "data-id": d.id}, head, prob, details, pick);
  }

  function renderAnswered(a) {
    return el("li", {class: "chip"}, el("span", {text: a.question + " — " + a.answer}),
      el("button", {type: "button", class: "link", "aria-label": t("removeAnswer") + ": " + a.question, text: "×",
        onclick: () => { state.answers = state.answers.filter((x) => x.code !== a.code); saveDraft(); runConsult(); }}));
  }

  function answer(q, present, value, label) {
    state.answers = state.answers.filter((x) => x.code !== q.id);
    state.answers.push({code: q.id, present: present, value: value, question: q.text, answer: label});
    saveDraft();
    runConsult().then(() => { const first = document.querySelector("#questions button, #questions select"); if (first) first.focus(); });
  }

  function renderQuestion(q) {
    const li = el("li", {class: q.red_flag ? "question red" : "question", "data-code": q.id},
      el("p", {}, el("span", {class: "q-text", id: "q-" + q.id, text: q.text}),
        q.red_flag ? el("span", {class: "badge danger", text: t("redFlag")}) : null,
        q.reason ? el("span", {class: "muted small", text: " " + t("about") + ": " + q.reason}) : null));
    if (q.type === "yes_no") {
      li.append(el("div", {class: "answer-row", role: "group", "aria-labelledby": "q-" + q.id},
        el("button", {type: "button", class: "secondary", text: t("yes"), onclick: () => answer(q, true, null, t("yes"))}),
        el("button", {type: "button", class: "secondary", text: t("no"), onclick: () => answer(q, false, null, t("no"))})));
    } else {
      const sel = el("select", {id: "a-" + q.id, "aria-labelledby": "q-" + q.id}, ...q.options.map((o) => el("option", {value: o.value, text: o.label})));
      li.append(el("div", {class: "answer-row"}, sel,
        el("button", {type: "button", class: "secondary", text: t("answer"),
          onclick: () => answer(q, true, sel.value, sel.options[sel.selectedIndex].text)})));
    }
    return li;
  }

  function alertKey(a) { return a.type + "|" + a.drugs.join("+"); }

  function renderAlert(a) {
    const id = a.alert_id;
    const reason = el("select", {id: "reason-" + id},
      el("option", {value: "", text: "—"}),
      ...Object.keys(REASON_EN).map((k) => el("option", {value: k, text: T[state.lang].reasons[k]})));
    const comment = el("input", {id: "comment-" + id, type: "text"});
    const status = el("span", {role: "status", class: "muted", "aria-live": "polite"});
    const outcomes = ["accepted", "overridden"].map((o) => el("label", {class: "inline"},
      el("input", {type: "radio", name: "outcome-" + id, value: o}), " " + t(o === "accepted" ? "accept" : "override")));
    const prior = state.decided[alertKey(a)];
    if (prior) status.textContent = t("recorded") + " (" + t(prior === "accepted" ? "accept" : "override") + ")";
    const form = el("form", {class: "alert-decision", novalidate: true},
      el("fieldset", {}, el("legend", {text: t("decision")}), ...outcomes),
      el("div", {class: "row"},
        el("div", {}, el("label", {for: reason.id, text: t("reason")}), reason),
        el("div", {class: "grow"}, el("label", {for: comment.id, text: t("comment")}), comment)),
      el("div", {class: "actions"}, el("button", {type: "submit", text: t("recordDecision")}), status));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const picked = form.querySelector("input[type=radio]:checked");
      if (!picked) { status.textContent = t("chooseOutcome"); form.querySelector("input[type=radio]").focus(); return; }
      if (picked.value === "overridden" && !reason.value) { status.textContent = t("chooseReason"); reason.setAttribute("aria-invalid", "true"); reason.focus(); return; }
      reason.removeAttribute("aria-invalid");
      const body = {alert_id: id, outcome: picked.value, decided_at: new Date().toISOString(),
        reason_code: reason.value || null, reason: reason.value ? REASON_EN[reason.value] : null, comment: comment.value.trim() || null};
      try {
        await call("POST", "/v1/feedback", body);
        state.decided[alertKey(a)] = picked.value;
        status.textContent = t("recorded") + " (" + t(picked.value === "accepted" ? "accept" : "override") + ")";
      } catch (err) { status.textContent = t("feedbackErr", {msg: err.message}); }
    });
    const sev = a.severity || "";
    const sevText = (T[state.lang].severities || {})[sev] || sev;
    return el("article", {class: "alert sev-" + sev + (a.interrupt ? " interrupt" : ""), "aria-label": a.message},
      el("h4", {}, el("span", {class: "badge " + (a.interrupt ? "danger" : "warn"), text: t("severity") + ": " + sevText}), " ", a.message),
      a.management ? el("p", {}, el("strong", {text: t("management") + ": "}), a.management) : null,
      a.source ? el("p", {class: "small muted"}, t("source") + ": " + a.source) : null,
      form);
  }

  function renderTreatment(o) {
    return el("article", {class: "treatment" + (o.safe ? "" : " unsafe")},
      el("h4", {}, o.diagnosis + " · " + ((T[state.lang].lines || {})[o.line] || o.line) + " ",
        el("span", {class: "badge " + (!o.safe ? "danger" : o.alerts.length ? "warn" : "ok"),
          text: !o.safe ? t("unsafe") : o.alerts.length ? t("caution") : t("safe")})),
      el("p", {text: o.text}),
      o.dose ? el("p", {class: "small", text: t("dose") + ": " + o.dose}) : null,
      o.alerts.length ? list(o.alerts.map((a) => a.message + (a.management ? " — " + a.management : "")), "plain warn") : null,
      o.source || o.citations.length ? el("p", {class: "small muted", text: [o.source, ...o.citations.map((n) => "[" + n + "]")].filter(Boolean).join(" ")}) : null);
  }

  function renderCitation(c) {
    return el("li", {id: "cite-" + c.n},
      el("p", {}, el("strong", {text: c.title}), c.heading ? el("span", {class: "muted", text: " › " + c.heading}) : null,
        " ", el("span", {class: "badge", text: c.scope === "public" ? t("scopePublic") : t("scopeLocal")})),
      el("blockquote", {text: c.snippet}),
      el("button", {type: "button", class: "secondary small", text: t("open"), onclick: () => openPassage(c)}),
      web(c.url) ? el("a", {href: c.url, target: "_blank", rel: "noopener noreferrer", class: "small", text: " " + t("openSource")}) : null);
  }

  // Only web addresses become links: a file:// source (a hospital's own upload) is not
  // reachable from the browser; its full text opens in the dialog instead.
  function web(url) { return !!url && /^https?:\/\//i.test(url); }

  let opener = null;
  async function openPassage(c) {
    opener = document.activeElement;
    try {
      const p = await call("GET", "/v1/web/passages/" + encodeURIComponent(c.chunk_id));
      $("passage-title").textContent = p.title;
      $("passage-heading").textContent = p.heading;
      $("passage-text").textContent = p.text;
      fill("passage-source", web(p.url) ? el("a", {href: p.url, target: "_blank", rel: "noopener noreferrer", text: p.source || p.url}) : (p.source || ""),
        p.license ? " · " + p.license : "");
      $("passage").showModal();
      $("passage-close").focus();
    } catch (err) { showError({message: t("passageErr", {msg: err.message})}); }
  }

  async function recordDecision(ev) {
    ev.preventDefault();
    const data = state.last, dx = $("working-dx").value.trim(), status = $("decision-status");
    if (!dx) { status.textContent = t("needDx"); $("working-dx").setAttribute("aria-invalid", "true"); $("working-dx").focus(); return; }
    $("working-dx").removeAttribute("aria-invalid");
    const match = data.report.differential.find((d) => [d.name, d.name_zh, d.id].filter(Boolean).map((s) => s.toLowerCase()).includes(dx.toLowerCase()));
    const plan = $("decision-text").value.trim() || null;
    const body = match ? {alert_id: data.consult_id, outcome: "accepted", decided_at: new Date().toISOString(), accepted_suggestions: [match.id], comment: plan}
      : {alert_id: data.consult_id, outcome: "overridden", decided_at: new Date().toISOString(), reason_code: "other-diagnosis", reason: dx.slice(0, 512), comment: plan};
    try {
      await call("POST", "/v1/feedback", body);
      status.textContent = t("recorded") + ": " + dx;
    } catch (err) { status.textContent = t("feedbackErr", {msg: err.message}); }
  }

  /* ---- upload ---- */
  function readFile() {
    const f = $("file").files[0];
    state.fileText = null;
    state.fileName = null;
    $("file-info").textContent = "";
    if (!f) return;
    const kb = (n) => (n / 1024).toFixed(0) + " KB";
    if (f.size > MAX_FILE) { showError(new UserError(t("tooBig", {size: kb(f.size), max: kb(MAX_FILE)}), "file")); return; }
    const reader = new FileReader();
    reader.onload = () => { state.fileText = String(reader.result); state.fileName = f.name; $("file-info").textContent = f.name + " · " + kb(f.size); clearError(); };
    reader.onerror = () => showError(new UserError(t("formatErr", {msg: f.name}), "file"));
    reader.readAsText(f, "utf-8");
  }

  /* A new patient: nothing of the last one (answers above all) may carry over. */
  function newCase() {
    if (!window.confirm(t("confirmNew"))) return;
    for (const e of document.querySelectorAll("[data-keep]")) { if (e.type === "checkbox") e.checked = false; else e.value = ""; }
    $("finding-rows").replaceChildren();
    addFindingRow("", true, false);
    $("file").value = "";
    state.fileText = null; state.fileName = null; state.answers = []; state.last = null; state.decided = {};
    $("file-info").textContent = "";
    $("working-dx").value = ""; $("decision-text").value = "";
    $("results").hidden = true;
    $("status").textContent = "";
    clearError();
    store.removeItem("hz.draft");
    selectTab(state.tab, false);
    $(state.tab === "form" ? "f-age" : state.tab === "upload" ? "file" : "note").focus();
  }

  /* ---- wiring ---- */
  function init() {
    state.lang = store.getItem("hz.lang") || (navigator.language && !navigator.language.startsWith("zh") ? "en" : "zh");
    $("api-key").value = store.getItem("hz.key") || "";
    restoreDraft();
    applyLang();
    selectTab(TABS.includes(store.getItem("hz.tab")) ? store.getItem("hz.tab") : "note", false);
    $("api-key").addEventListener("change", () => store.setItem("hz.key", $("api-key").value.trim()));
    // A single-clinic laptop (huizhen serve --local) needs no key: the service says so.
    fetch("/v1/web/access", {headers: {"Accept": "application/json"}})
      .then((r) => (r.ok ? r.json() : null))
      .then((a) => { if (a && a.api_key_required === false) { state.keyRequired = false; $("key-box").hidden = true; } })
      .catch(() => {});
    $("lang-switch").addEventListener("click", () => {
      state.lang = state.lang === "zh" ? "en" : "zh";
      store.setItem("hz.lang", state.lang);
      applyLang();
      if (state.last) runConsult();
    });
    for (const n of TABS) {
      const tab = $("tab-" + n);
      tab.addEventListener("click", () => selectTab(n, false));
      tab.addEventListener("keydown", (e) => {
        const i = TABS.indexOf(n);
        const next = {ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1}[e.key];
        if (next === undefined) return;
        e.preventDefault();
        selectTab(TABS[(next + TABS.length) % TABS.length], true);
      });
    }
    $("add-finding").addEventListener("click", () => addFindingRow("", true, true));
    $("new-case").addEventListener("click", newCase);
    $("case-form").addEventListener("input", saveDraft);
    $("case-form").addEventListener("submit", (e) => { e.preventDefault(); runConsult(); });
    $("file").addEventListener("change", readFile);
    $("decision-form").addEventListener("submit", recordDecision);
    $("passage-close").addEventListener("click", () => $("passage").close());
    $("passage").addEventListener("close", () => { if (opener) opener.focus(); });
    document.body.dataset.ready = "1";
  }
  init();
})();
