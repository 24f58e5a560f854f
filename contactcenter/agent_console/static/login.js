// The login page: say so when the last attempt failed (/login?failed=1).
if (location.search.includes("failed")) document.getElementById("failed").hidden = false;
