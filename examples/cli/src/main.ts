console.log("kaituan")
